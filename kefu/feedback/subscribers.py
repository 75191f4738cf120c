"""Telling the reporters of a problem whose state changed: a task after commit (retried; each
reporter is told at most once per state, ReporterNotice)."""

from kefu.core.events import Delivery, subscribe
from kefu.feedback.events import ProblemStateChanged
from kefu.feedback.services import tell_reporters


def on_state_changed(event: ProblemStateChanged) -> None:
    tell_reporters(problem_id=event.problem_id)


def register() -> None:
    subscribe(ProblemStateChanged, f"{__name__}.on_state_changed", mode=Delivery.TASK)
