"""Backup and restore of the database: SQLite online backup, or pg_dump/pg_restore on PostgreSQL."""

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone


class BackupError(Exception):
    pass


def backup_dir() -> Path:
    path = Path(os.environ.get("KEFU_BACKUP_DIR", settings.DATA_DIR / "backups"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pg_env() -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args() -> list[str]:
    db = settings.DATABASES["default"]
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def create_backup(target: Path | None = None) -> Path:
    """Write a consistent copy of the database while it is in use; returns the file."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if connection.vendor == "sqlite":
        target = target or backup_dir() / f"kefu-{stamp}.sqlite3"
        source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        try:
            destination = sqlite3.connect(str(target))
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return target
    if connection.vendor == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
        target = target or backup_dir() / f"kefu-{stamp}.pgdump"
        subprocess.run(["pg_dump", "--format=custom", "--file", str(target), *_pg_args()],  # noqa: S603, S607
                       check=True, env=_pg_env())
        return target
    raise BackupError(f"backups are not supported on {connection.vendor}")


def restore_backup(source: Path) -> None:
    """Replace the database's contents with the backup's. Stop the server first."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if connection.vendor == "sqlite":
        connection.close()
        backup = sqlite3.connect(str(source))
        try:
            live = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            with live:
                backup.backup(live)
            live.close()
        finally:
            backup.close()
        return
    if connection.vendor == "postgresql":
        connection.close()
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", *_pg_args(), str(source)],  # noqa: S603, S607
                       check=True, env=_pg_env())
        return
    raise BackupError(f"restore is not supported on {connection.vendor}")


def prune_backups(*, keep_days: int) -> int:
    """Delete backups older than `keep_days`; returns how many were removed."""
    cutoff = timezone.now() - dt.timedelta(days=keep_days)
    removed = 0
    for path in backup_dir().glob("kefu-*"):
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff:
            path.unlink()
            removed += 1
    return removed
