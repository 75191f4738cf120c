import time
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.core import search


class Command(BaseCommand):
    help = (
        "Write the search documents again: every registered kind, or the kinds named "
        "(e.g. tickets.ticket). Safe while the server runs: batches commit one by one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", help="kinds to rebuild (default: all)")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(
        self, *args: Any, kinds: Sequence[str] = (), batch_size: int = 2000, **options: Any
    ) -> None:
        try:
            chosen = [search.get(name) for name in kinds] if kinds else search.kinds()
        except LookupError as error:
            raise CommandError(str(error)) from error
        for kind in chosen:
            started = time.monotonic()

            def progress(n: int, kind: search.Kind = kind) -> None:
                if options["verbosity"] > 1:
                    self.stderr.write(f"{kind.name}: {n:,}…", ending="\r")

            written = search.rebuild(kind, batch_size=max(1, batch_size), progress=progress)
            self.stdout.write(
                f"{kind.name}: {written:,} documents in {time.monotonic() - started:.1f} s"
            )
