"""A conversation that closes is marked for its automatic check at once (in the committing process)
and the worker checks the marked ones in batches (services.checks.check_queued); a low rating given after the
close puts the conversation up for review; a recorded call is checked by its notes; an agent's presence changes are kept for the attendance
against the roster; a survey answered with a top score and the customer's words is praise on record
for the agent who served them."""

from kefu.accounts.events import PresenceChanged
from kefu.conversations.events import ConversationClosed, ConversationRated
from kefu.core.events import Delivery, subscribe
from kefu.telephony.events import CallRecorded
from kefu.visits.events import SurveyAnswered


def queue_closed(event: ConversationClosed) -> None:
    from kefu.quality.services.checks import queue_checks

    queue_checks([event.conversation_id])


def check_closed(event: ConversationClosed) -> None:
    """The worker's nudge after a close: every conversation marked so far, in batches (under a
    burst the first nudge takes them all and the others find nothing left)."""
    from kefu.quality.services.checks import check_queued

    check_queued()


def sample_rated(event: ConversationRated) -> None:
    from kefu.quality.services.checks import sample_low_rating

    sample_low_rating(event.conversation_id)


def check_recorded_call(event: CallRecorded) -> None:
    from kefu.quality.services.calls import check_recorded_call as check

    check(event.call_id)


def record_presence(event: PresenceChanged) -> None:
    from kefu.quality.attendance import record_presence as record

    record(event.user_id, event.presence)


def record_survey_praise(event: SurveyAnswered) -> None:
    """A survey answered with a top score and the customer's words praises the agent who served."""
    from kefu.quality.services.records import record_survey_praise as record

    if event.agent_id is not None:
        record(event.answer_id)


def register() -> None:
    subscribe(ConversationClosed, f"{__name__}.queue_closed", mode=Delivery.INLINE)
    subscribe(ConversationClosed, f"{__name__}.check_closed", mode=Delivery.TASK)
    subscribe(ConversationRated, f"{__name__}.sample_rated", mode=Delivery.TASK)
    subscribe(CallRecorded, f"{__name__}.check_recorded_call", mode=Delivery.TASK)
    subscribe(PresenceChanged, f"{__name__}.record_presence", mode=Delivery.TASK)
    subscribe(SurveyAnswered, f"{__name__}.record_survey_praise", mode=Delivery.TASK)
