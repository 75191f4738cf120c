"""The automatic checks 自动质检: run in the worker when a conversation closes (ConversationClosed,
kefu/quality/subscribers.py). Each scoring item of the rubric looks at the transcript; a fault is a
Finding pointing at its message, and costs the item's weight. Then the sampling rules decide
whether an inspector reviews the conversation by hand."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.models import (
    Conversation,
    ConversationState,
    Message,
    PresalesStep,
    SenderKind,
)
from kefu.core.events import emit
from kefu.quality.events import ConversationChecked
from kefu.quality.matching import PhraseList, words
from kefu.quality.models import (
    CheckKind,
    Finding,
    Inspection,
    QualitySettings,
    Review,
    RubricItem,
    SampleReason,
)
from kefu.quality.services.rubric import active_items, quality_settings

K = CheckKind
MAX_FINDINGS_PER_ITEM = 10


@dataclass
class Line:
    """A message as the checks see it: who wrote it and its words."""

    message: Message
    words: list[str]

    @property
    def body(self) -> str:
        return self.message.body


@dataclass
class Found:
    item: RubricItem
    detail: str
    message: Message | None = None
    matched: str = ""


@dataclass
class Result:
    score: int
    findings: list[tuple[Found, int]] = field(default_factory=list)  # (finding, points lost)
    complained: bool = False

    @property
    def severe(self) -> bool:
        return any(f.item.is_severe for f, _points in self.findings)


def _phrases(item: RubricItem) -> PhraseList:
    return PhraseList(item.phrase_list())


def _check_item(
    item: RubricItem,
    conversation: Conversation,
    agent_lines: list[Line],
    visitor_lines: list[Line],
    all_lines: list[Line],
    presales_done: set[str],
) -> tuple[list[Found], bool]:
    """The faults one item finds, and whether the customer complained (for the apology)."""
    found: list[Found] = []
    complained = False
    if item.kind == K.GREETING:
        first = agent_lines[0] if agent_lines else None
        if first is None or not _phrases(item).first(first.body, first.words):
            found.append(
                Found(item, _("The first reply has no greeting."), first.message if first else None)
            )
    elif item.kind == K.CLOSING:
        last = agent_lines[-2:]
        if not any(_phrases(item).first(line.body, line.words) for line in last):
            found.append(
                Found(
                    item,
                    _("The last replies have no closing."),
                    last[-1].message if last else None,
                )
            )
    elif item.kind == K.APOLOGY:
        triggers = PhraseList(item.trigger_list())
        for line in visitor_lines:
            trigger = triggers.first(line.body, line.words)
            if trigger:
                complained = True
                apologies = _phrases(item)
                later = [a for a in agent_lines if a.message.seq > line.message.seq]
                if not any(apologies.first(a.body, a.words) for a in later):
                    found.append(
                        Found(
                            item,
                            _("The customer complained and no apology followed."),
                            line.message,
                            trigger,
                        )
                    )
                break
    elif item.kind == K.FORBIDDEN:
        phrases = _phrases(item)
        for line in agent_lines:
            hits = phrases.hits(line.body, line.words)
            if hits:
                matched = "、".join(dict.fromkeys(h.phrase for h in hits))
                found.append(
                    Found(
                        item,
                        _("Forbidden words: %(words)s") % {"words": matched},
                        line.message,
                        matched,
                    )
                )
    elif item.kind == K.FILLER:
        phrases, count, limit = _phrases(item), 0, item.limit or 0
        for line in agent_lines:
            hits = phrases.hits(line.body, line.words)
            count += len(hits)
            if hits and count > limit:
                matched = "、".join(dict.fromkeys(h.phrase for h in hits))
                found.append(
                    Found(
                        item,
                        _("Filler words used %(count)d times (at most %(limit)d).")
                        % {"count": count, "limit": limit},
                        line.message,
                        matched,
                    )
                )
                break
    elif item.kind == K.FIRST_RESPONSE:
        limit = item.limit or 0
        first = agent_lines[0] if agent_lines else None
        if first is None and visitor_lines:
            found.append(
                Found(item, _("The customer never got a reply."), visitor_lines[0].message)
            )
        elif first is not None and (first.message.response_seconds or 0) > limit:
            found.append(
                Found(
                    item,
                    _("First response after %(seconds)d s (limit %(limit)d s).")
                    % {"seconds": first.message.response_seconds, "limit": limit},
                    first.message,
                )
            )
    elif item.kind == K.RESPONSE_TIME:
        limit = item.limit or 0
        for line in agent_lines[1:]:
            if (line.message.response_seconds or 0) > limit:
                found.append(
                    Found(
                        item,
                        _("Response after %(seconds)d s (limit %(limit)d s).")
                        % {"seconds": line.message.response_seconds, "limit": limit},
                        line.message,
                    )
                )
    elif item.kind == K.PRESALES_FLOW:
        if conversation.inbox.is_presales and agent_lines:
            missing = [s.label for s in PresalesStep if s.value not in presales_done]
            if missing:
                found.append(
                    Found(
                        item,
                        _("Pre-sales steps not done: %(steps)s")
                        % {"steps": "、".join(str(m) for m in missing)},
                    )
                )
    elif item.kind == K.RESOLUTION:
        spoken = [line for line in all_lines if line.message.sender != SenderKind.SYSTEM]
        if spoken and spoken[-1].message.sender == SenderKind.VISITOR and agent_lines:
            found.append(
                Found(
                    item,
                    _("The customer's last message was not answered."),
                    spoken[-1].message,
                )
            )
    return found[:MAX_FINDINGS_PER_ITEM], complained


def evaluate(
    conversation: Conversation,
    messages: list[Message],
    items: list[RubricItem],
    *,
    presales_done: set[str] = frozenset(),  # type: ignore[assignment]
) -> Result:
    """Score a transcript against the active items (pure: reads nothing from the database)."""
    lines = [
        Line(m, words(m.body))
        for m in messages
        if not m.is_internal and m.sender in (SenderKind.AGENT, SenderKind.VISITOR)
    ]
    agent_lines = [line for line in lines if line.message.sender == SenderKind.AGENT]
    visitor_lines = [line for line in lines if line.message.sender == SenderKind.VISITOR]
    result = Result(score=100)
    for item in items:
        found, complained = _check_item(
            item, conversation, agent_lines, visitor_lines, lines, presales_done
        )
        result.complained = result.complained or complained
        for n, finding in enumerate(found):
            result.findings.append((finding, item.weight if n == 0 else 0))
    result.score = max(0, 100 - sum(points for _f, points in result.findings))
    return result


def sample_reason(
    *,
    settings: QualitySettings,
    result: Result,
    agent: User | None,
    rating: int | None,
    closed_at: dt.datetime,
    rand: float | None = None,
) -> str:
    """Why the sampling rules pick this conversation for a manual review, or ""."""
    if settings.sample_severe and result.severe:
        return SampleReason.SEVERE
    if settings.sample_complaints and result.complained:
        return SampleReason.COMPLAINT
    if settings.sample_low_ratings and rating is not None and rating <= settings.low_rating_max:
        return SampleReason.LOW_RATING
    if (
        agent is not None
        and settings.new_agent_days
        and agent.date_joined >= closed_at - dt.timedelta(days=settings.new_agent_days)
    ):
        return SampleReason.NEW_AGENT
    rand = random.random() if rand is None else rand
    if rand * 100 < settings.random_percent:
        return SampleReason.RANDOM
    return ""


def check_conversation(conversation_id: int) -> Inspection | None:
    """Check one closed conversation once (a retried task finds the inspection made). Nothing for a
    conversation no agent served."""
    existing = Inspection.objects.filter(conversation_id=conversation_id).first()
    if existing is not None:
        return existing
    conversation = (
        Conversation.objects.select_related("inbox", "assignee")
        .filter(pk=conversation_id, state=ConversationState.CLOSED)
        .first()
    )
    if conversation is None or conversation.assignee_id is None:
        return None
    messages = list(Message.objects.filter(conversation=conversation).order_by("seq"))
    presales_done = set(conversation.presales_ticks.values_list("step", flat=True))
    result = evaluate(conversation, messages, active_items(), presales_done=presales_done)
    reason = sample_reason(
        settings=quality_settings(),
        result=result,
        agent=conversation.assignee,
        rating=conversation.rating,
        closed_at=conversation.closed_at or timezone.now(),
    )
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                conversation=conversation,
                agent=conversation.assignee,
                channel=conversation.inbox.kind,
                score=result.score,
                severe=result.severe,
                complained=result.complained,
                closed_at=conversation.closed_at or timezone.now(),
            )
            Finding.objects.bulk_create(
                Finding(
                    inspection=inspection,
                    item=f.item,
                    kind=f.item.kind,
                    label=f.item.label,
                    message=f.message,
                    matched=f.matched[:80],
                    detail=f.detail[:200],
                    points=points,
                    severe=f.item.is_severe,
                )
                for f, points in result.findings
            )
            if reason:
                Review.objects.create(inspection=inspection, reason=reason)
            emit(
                ConversationChecked(
                    inspection_id=inspection.pk,
                    conversation_id=conversation.pk,
                    agent_id=conversation.assignee_id,
                    score=result.score,
                    severe=result.severe,
                )
            )
    except IntegrityError:  # checked meanwhile by another worker
        return Inspection.objects.filter(conversation_id=conversation_id).first()
    return inspection


def sample_low_rating(conversation_id: int) -> Review | None:
    """A rating given after the close: a low one puts the checked conversation up for review."""
    inspection = Inspection.objects.filter(conversation_id=conversation_id).first()
    if inspection is None:
        inspection = check_conversation(conversation_id)
    if inspection is None or Review.objects.filter(inspection=inspection).exists():
        return None
    settings = quality_settings()
    rating = (
        Conversation.objects.filter(pk=conversation_id).values_list("rating", flat=True).first()
    )
    if not settings.sample_low_ratings or rating is None or rating > settings.low_rating_max:
        return None
    try:
        with transaction.atomic():
            return Review.objects.create(inspection=inspection, reason=SampleReason.LOW_RATING)
    except IntegrityError:
        return None


CALL_KINDS = frozenset({K.FORBIDDEN, K.FILLER})  # what a call's notes can show (no transcript)


def check_call(call_id: int) -> Inspection | None:
    """Check one recorded call by its notes, once: the forbidden words and the filler words of the
    rubric (greeting, closing and response times need a transcript a call does not have). Sampled
    by the same rules as a chat; nothing for a call with no agent or no notes."""
    from kefu.telephony.models import Call

    existing = Inspection.objects.filter(call_id=call_id).first()
    if existing is not None:
        return existing
    call = Call.objects.select_related("agent").filter(pk=call_id).first()
    if call is None or call.agent_id is None or not call.notes.strip():
        return None
    note = Message(body=call.notes, sender=SenderKind.AGENT, seq=1)
    items = [item for item in active_items() if item.kind in CALL_KINDS]
    line = Line(note, words(call.notes))
    result = Result(score=100)
    for item in items:
        found, _complained = _check_item(item, Conversation(), [line], [], [line], set())
        for n, finding in enumerate(found):
            result.findings.append((finding, item.weight if n == 0 else 0))
    result.score = max(0, 100 - sum(points for _f, points in result.findings))
    ended = call.ended_at or call.started_at
    reason = sample_reason(
        settings=quality_settings(), result=result, agent=call.agent, rating=None, closed_at=ended
    )
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                call=call,
                agent=call.agent,
                channel="phone",
                score=result.score,
                severe=result.severe,
                closed_at=ended,
            )
            Finding.objects.bulk_create(
                Finding(
                    inspection=inspection,
                    item=f.item,
                    kind=f.item.kind,
                    label=f.item.label,
                    message=None,
                    matched=f.matched[:80],
                    detail=f.detail[:200],
                    points=points,
                    severe=f.item.is_severe,
                )
                for f, points in result.findings
            )
            if reason:
                Review.objects.create(inspection=inspection, reason=reason)
    except IntegrityError:  # checked meanwhile by another worker
        return Inspection.objects.filter(call_id=call_id).first()
    return inspection
