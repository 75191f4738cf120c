"""Events of the reports app (docs/events.md)."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class ReportIssued(DomainEvent):
    """A pack (daily, weekly, monthly) was issued and stored."""

    name: ClassVar[str] = "reports.issued"
    report_id: int
    kind: str
    period_start: str  # YYYY-MM-DD
