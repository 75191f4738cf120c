"""Dates a test reads when it runs, never when its module is imported.

A test module that kept `TODAY = timezone.localdate()` at import failed in CI when the run crossed
midnight in Asia/Shanghai (16:00 UTC): the records were made today, the page was asked for yesterday.
"""

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()


def this_month() -> str:
    """The current month as the pages and the API take it: ``2026-12``."""
    return f"{today():%Y-%m}"


def last_month() -> str:
    return f"{today().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
