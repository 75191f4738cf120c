import time
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.reports import facts


class Command(BaseCommand):
    help = (
        "Build the reports' daily facts again: every day up to the day before yesterday of every "
        "figure that has them, or of the figures named (e.g. complaints). Safe while the server "
        "runs: until a figure is done its pages compute it live."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("figures", nargs="*", help="figure keys (default: all)")

    def handle(self, *args: Any, figures: Sequence[str] = (), **options: Any) -> None:
        known = {figure.key for figure, _plan in facts.planned()}
        unknown = sorted(set(figures) - known)
        if unknown:
            raise CommandError(
                f"No daily facts for: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        facts.install_triggers()
        started = time.monotonic()
        for key, written in facts.rebuild(figures).items():
            self.stdout.write(f"{key}: {written:,} facts")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
