"""Field types the API schemas share.

`Moment`: a date and time kefu can store and compute with. Python's datetime stops at years 1 and
9999; a far-away offset pushes such a value past either end when it is turned into UTC, and the
database layer then failed with a 500 (issue 10.2, `POST /calls` with an extreme `started_at`).
Anything outside 2000–2100 is refused in the schema, as a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def _within_range(value: dt.datetime) -> dt.datetime:
    # Compared by the wall-clock year first: converting an extreme value to UTC would overflow.
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


Moment = Annotated[dt.datetime, AfterValidator(_within_range)]
