"""The README's first command, end to end: `kefu serve` on a fresh data folder.

Runs the real server in a child process (embedded mode, whatever mode the suite runs in) and
checks what a new user meets: demo data loaded on first start, the sign-ins printed, a healthy
/healthz with the in-process worker's heartbeat, a working sign-in, and a clean stop on Ctrl+C.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.xdist_group("browser")  # keeps the heavy end-to-end work on one worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "KEFU_TESTING",
            "KEFU_INSTANCE",
            "KEFU_BASE_URL",  # a test that ran `serve` in this process set it for its own port
        }
    }
    env.update(
        KEFU_DATA_DIR=str(tmp_path / "data"),
        KEFU_DEMO_PASSWORD="Serve2026demo",
        KEFU_LOG_LEVEL="warning",
        KEFU_DEMO_CUSTOMERS="100",
        KEFU_DEMO_TICKETS="100",
        KEFU_DEMO_CALLS="40",
        KEFU_DEMO_CHATS="20",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None:
                pytest.fail("kefu serve exited early:\n" + process.stdout.read())
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("kefu serve did not answer within 120 s")
    yield process, base, tmp_path / "data"
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_starts_everything_with_demo_data_and_stops_cleanly(server):
    process, base, data_dir = server
    health = json.load(urllib.request.urlopen(f"{base}/healthz", timeout=5))
    assert health["status"] == "ok"
    assert health["checks"]["worker"]["state"] == "ok"
    assert health["checks"]["database"]["engine"] == "sqlite"

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/sign-in/", timeout=5).read().decode()
    assert "登录" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "agent1", "password": "Serve2026demo"}
    )
    request = urllib.request.Request(
        f"{base}/accounts/sign-in/",
        data=form.encode(),
        headers={"Referer": f"{base}/accounts/sign-in/"},
    )
    workbench = opener.open(request, timeout=10).read().decode()
    assert '<span class="nav-link-title">工作台</span>' in workbench

    # The history is built in the background after the sign-ins; the progress file says when it is done.
    deadline = time.monotonic() + 180
    progress = {}
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            progress = json.loads((data_dir / "demo-progress.json").read_text())
        if progress.get("state") in {"done", "failed"}:
            break
        time.sleep(0.5)
    assert progress.get("state") == "done", progress
    tickets = opener.open(f"{base}/tickets/", timeout=10).read().decode()
    assert re.search(r"TS\d{8}-\d{4}", tickets)
    assert 'data-testid="demo-loading"' not in tickets

    # The demo chat widget works on pages of the address the server was started on (not only :8000).
    with sqlite3.connect(data_dir / "kefu.sqlite3") as db:
        [(widget_key,)] = db.execute(
            "SELECT public_key FROM conversations_inbox WHERE name = '官网在线客服'"
        ).fetchall()
    for origin in (base, base.replace("127.0.0.1", "localhost")):
        config = urllib.request.Request(
            f"{base}/widget/{widget_key}/config/", headers={"Origin": origin}
        )
        with urllib.request.urlopen(config, timeout=5) as answer:
            assert answer.headers["Access-Control-Allow-Origin"] == origin
            assert json.load(answer)["inbox"] == "官网在线客服"

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Password for all of them: Serve2026demo" in output
    assert "agent1" in output and "http://127.0.0.1:" in output
    assert "kefu 客服已启动" in output and "统一密码" in output  # Chinese first, English beside
    assert "pip" not in output.lower()
    # The demo's e-mails (printed: no mail server) link to this server's address, not the default :8000.
    links = re.findall(r"http://127\.0\.0\.1:(\d+)/\S+", output)
    assert links and set(links) == {str(urllib.parse.urlsplit(base).port)}, links
