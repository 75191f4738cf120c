"""Backup and restore of the database: SQLite online backup, or pg_dump/pg_restore on PostgreSQL."""

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
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


def _pg_env() -> dict[str, str]:
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


@contextlib.contextmanager
def _reported_as_backup_error(action: str) -> Iterator[None]:
    """A failed copy, a file that is not a backup, a tool's non-zero exit: one clear BackupError."""
    try:
        yield
    except subprocess.CalledProcessError as error:
        raise BackupError(
            f"{action} failed: {error.cmd[0]} exited with status {error.returncode}"
        ) from error
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"{action} failed: {error}") from error


def create_backup(target: Path | None = None) -> Path:
    with _reported_as_backup_error("backup"):
        return _create_backup(target)


def restore_backup(source: Path) -> None:
    """Replace the database's contents with the backup's. Stop the server first."""
    with _reported_as_backup_error("restore"):
        _restore_backup(source)


def _create_backup(target: Path | None) -> Path:
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
            raise BackupError(
                "pg_dump is not installed (Debian: apt-get install postgresql-client)."
            )
        target = target or backup_dir() / f"kefu-{stamp}.pgdump"
        subprocess.run(  # noqa: S603
            ["pg_dump", "--format=custom", "--file", str(target), *_pg_args()],  # noqa: S607
            check=True,
            env=_pg_env(),
        )
        return target
    raise BackupError(f"backups are not supported on {connection.vendor}")


def _restore_backup(source: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if connection.vendor == "sqlite":
        connection.close()
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            backup.execute(
                "SELECT count(*) FROM sqlite_master"
            ).fetchone()  # "file is not a database" here, before any change
            live = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            with live:
                backup.backup(live)
            live.close()
        finally:
            backup.close()
        return
    if connection.vendor == "postgresql":
        connection.close()
        subprocess.run(  # noqa: S603
            ["pg_restore", "--clean", "--if-exists", "--no-owner", *_pg_args(), str(source)],  # noqa: S607
            check=True,
            env=_pg_env(),
        )
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
