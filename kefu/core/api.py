import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.core.business_calendar import BusinessCalendar
from kefu.core.errors import DomainError

router = Router(tags=["calendar"])

MAX_MINUTES = (
    60 * 24 * 90
)  # 90 days: far beyond any deadline, and always within the calendar's reach


class DueOut(Schema):
    start: dt.datetime
    minutes: int
    due_at: dt.datetime


@router.get("/calendar/due", response=DueOut, summary="Deadline after N minutes of working time")
def calendar_due(request: HttpRequest, start: dt.datetime, minutes: int) -> dict[str, Any]:
    """When `minutes` of working time, counted from `start` (ISO 8601), will have passed."""
    if not 0 <= minutes <= MAX_MINUTES:
        raise DomainError(_("Give minutes between 0 and %(max)d.") % {"max": MAX_MINUTES})
    if not 2000 <= start.year <= 2100:
        raise DomainError(_("Give a start between the years 2000 and 2100."))
    moment = timezone.make_aware(start) if timezone.is_naive(start) else start
    due = BusinessCalendar().add_working_time(moment, dt.timedelta(minutes=minutes))
    return {"start": moment, "minutes": minutes, "due_at": due}
