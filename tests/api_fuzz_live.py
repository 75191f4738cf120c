"""Schemathesis against a real `kefu serve` in scaled mode (PostgreSQL + Redis): zero 5xx.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python tests/api_fuzz_live.py [--seconds 150] [--port 8799]

Run by .ci/run after the scaled-mode suite (issue 10.2: a 9-minute fuzz run on PostgreSQL found 29
server errors that the in-process fuzz test, tests/test_api_fuzz.py, had not). It makes a database
of its own next to DATABASE_URL's (dropped at the end), migrates it, creates a supervisor (the
role of the run that found them) and a customer, starts the server without rate limits and runs `st run` with
the `not_a_server_error` check for at most `--seconds` of fuzzing. Exit code 0 means no request
answered 5xx; otherwise schemathesis prints each failing request and how to reproduce it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

SETUP = """
from kefu.accounts import services
from kefu.accounts.models import Department, User
from kefu.accounts.roles import Role
from kefu.customers.models import Customer

department, _ = Department.objects.get_or_create(
    code="cs", defaults={"name": "客服部", "is_customer_service": True}
)
supervisor = User.objects.create_user(
    username="fuzz", password=None, role=Role.SUPERVISOR, department=department,
    display_name="模糊测试", mobile="13900001111",
)
customer = Customer.objects.create(name="张三")
_token, raw = services.create_api_token(user=supervisor, name="fuzz")
print(raw)
"""


def database_urls(base: str) -> tuple[str, str]:
    """(the maintenance database's URL to create and drop with, the fuzz database's URL)."""
    name = f"kefu_fuzz_{secrets.token_hex(4)}"
    head, _slash, _db = base.rpartition("/")
    return f"{head}/postgres", f"{head}/{name}"


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=150, help="time budget for fuzzing")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args(argv)
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        print("api fuzz: DATABASE_URL must point to PostgreSQL", file=sys.stderr)
        return 2
    admin_url, fuzz_url = database_urls(base)
    fuzz_db = fuzz_url.rpartition("/")[2]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{fuzz_db}"')
    data = Path(tempfile.mkdtemp(prefix="kefu-fuzz-"))
    env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "KEFU_TESTING"}
    }
    env.update(
        DATABASE_URL=fuzz_url,
        KEFU_DATA_DIR=str(data),
        KEFU_INSTANCE=f"kefu-fuzz-{os.getpid()}",
        KEFU_DEMO="0",
        KEFU_LOG_LEVEL="error",  # 4xx answers are the point: not one log line each
        KEFU_API_RATE_PER_TOKEN="",
        KEFU_API_RATE_PER_ADDRESS="",
    )
    kefu = [str(VENV_BIN / "python"), "-m", "kefu.cli"]
    server = None
    try:
        subprocess.run([*kefu, "migrate", "-v", "0"], env=env, cwd=REPO, check=True)
        token = (
            subprocess.run(
                [*kefu, "shell", "-c", SETUP],
                env=env,
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [*kefu, "serve", "--port", str(args.port), "--no-worker", "--no-migrate", "--no-demo"],
            env=env,
            cwd=REPO,
        )
        url = f"http://127.0.0.1:{args.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        else:
            print("api fuzz: kefu serve did not answer within 60 s", file=sys.stderr)
            return 1
        st = shutil.which("st", path=str(VENV_BIN)) or "st"
        result = subprocess.run(
            [
                st,
                "run",
                f"{url}/api/v1/openapi.json",
                "--checks",
                "not_a_server_error",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-time",
                str(args.seconds),
                # One worker: two raced in CPython 3.11's ast module inside hypothesis
                # ("AST constructor recursion depth mismatch"), a runtime error, not the server's.
                "--workers",
                "1",
                "--suppress-health-check",
                "all",
                "--request-timeout",
                "30",
                "-H",
                f"Authorization: Bearer {token}",
                "--no-color",
            ],
            cwd=REPO,
        )
        return result.returncode
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{fuzz_db}" WITH (FORCE)')
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run())
