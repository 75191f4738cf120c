"""`kefu backup` and `kefu restore` through the real command line, and the daily backup task.

Embedded mode always; PostgreSQL too (pg_dump/pg_restore into scratch databases) when the suite
runs against PostgreSQL.
"""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

pytestmark = pytest.mark.xdist_group("browser")

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# A small demo: these tests are about what a backup holds, not how much.
DEMO_SIZE = {"CUSTOMERS": "200", "TICKETS": "100", "CALLS": "40", "CHATS": "20"}


def kefu(data_dir, *args, database_url: str = "", check=True):
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
        }
    }
    env.update(
        KEFU_DATA_DIR=str(data_dir),
        **{f"KEFU_DEMO_{kind}": count for kind, count in DEMO_SIZE.items()},
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        # A bound against a hang, not a speed check: `kefu demo` (migrate + every app's demo data)
        # took over 180 s on PostgreSQL on a 2-core machine loaded 10-13 (a fresh-clone CI run).
        timeout=900,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def archive(data_dir, database_url: str = "") -> list[str]:
    script = (
        "from kefu.customers.models import Customer; from kefu.accounts.models import User; "
        "print(User.objects.count(), Customer.objects.count(), ','.join(Customer.objects.order_by('id').values_list('mobile', flat=True)[:50]))"
    )
    return kefu(
        data_dir, "shell", "--no-imports", "-c", script, database_url=database_url
    ).stdout.strip()


def test_a_backup_restores_into_a_fresh_installation(tmp_path):
    original = tmp_path / "original"
    kefu(original, "migrate", "-v0")
    kefu(original, "demo", "--password", "Backup2026demo")
    backup = kefu(original, "backup").stdout.strip()
    assert backup.startswith(str(original / "backups" / "kefu-")) and backup.endswith(".sqlite3")

    fresh = tmp_path / "fresh"
    kefu(fresh, "migrate", "-v0")
    assert archive(fresh).startswith("0 0")
    refused = kefu(fresh, "restore", backup, check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    kefu(fresh, "restore", backup, "--yes")
    assert archive(fresh) == archive(original)
    assert archive(fresh).startswith("19 200")


def test_restoring_a_missing_file_is_a_clear_error(tmp_path):
    result = kefu(tmp_path, "restore", str(tmp_path / "nothing.sqlite3"), "--yes", check=False)
    assert result.returncode != 0
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_restoring_a_file_that_is_not_a_backup_changes_nothing(tmp_path):
    kefu(tmp_path, "migrate", "-v0")
    kefu(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from kefu.customers.models import Customer; Customer.objects.create(name='留下的客户')",
    )
    before = archive(tmp_path)
    not_a_backup = tmp_path / "customers.xlsx"
    not_a_backup.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a database" * 100)
    result = kefu(tmp_path, "restore", str(not_a_backup), "--yes", check=False)
    assert result.returncode != 0
    assert "restore failed" in result.stderr and "Traceback" not in result.stderr
    assert archive(tmp_path) == before


def test_the_daily_backup_task_writes_one_and_prunes_old_ones(tmp_path):
    kefu(tmp_path, "migrate", "-v0")
    old = tmp_path / "backups" / "kefu-20200101-000000.sqlite3"
    old.parent.mkdir(parents=True)
    old.write_text("old")
    os.utime(old, (1_577_836_800, 1_577_836_800))
    kefu(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from kefu.customers.tasks import back_up_daily; back_up_daily.call_local()",
    )
    files = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert len(files) == 1 and files[0] != old.name


@pytest.mark.skipif(not ON_POSTGRES, reason="runs in the PostgreSQL pass of the suite")
def test_a_postgresql_backup_restores_into_a_fresh_database(tmp_path):
    import psycopg

    db = settings.DATABASES["default"]
    admin_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/postgres"
    names = [f"kefu_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("src", "dst")]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        source, target = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}" for name in names
        )
        kefu(tmp_path, "migrate", "-v0", database_url=source)
        kefu(tmp_path, "demo", "--password", "Backup2026demo", database_url=source)
        backup = kefu(tmp_path, "backup", database_url=source).stdout.strip()
        assert backup.endswith(".pgdump")
        kefu(tmp_path, "migrate", "-v0", database_url=target)
        kefu(tmp_path, "restore", backup, "--yes", database_url=target)
        assert archive(tmp_path, target) == archive(tmp_path, source)
        assert archive(tmp_path, target).startswith("19 200")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
