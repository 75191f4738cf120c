from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Write a backup of the database (SQLite online backup or pg_dump) and print its path."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, help="file to write (default: KEFU_DATA_DIR/backups/)"
        )

    def handle(self, *args: Any, output: Path | None = None, **options: Any) -> None:
        try:
            path = create_backup(output)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(path))
