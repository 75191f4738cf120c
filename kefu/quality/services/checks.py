"""The automatic checks 自动质检, in the worker: a conversation that closes is marked
(`queue_checks`, from ConversationClosed: kefu/quality/subscribers.py) and the worker checks the
marked ones in batches (`check_queued`: right after a close, and every minute for whatever is left),
so a burst or a backlog of closed chats goes at the batched rate, each checked once. Each scoring item of the rubric looks at the transcript; a fault is a
Finding pointing at its message, and costs the item's weight. Then the sampling rules decide
whether an inspector reviews the conversation by hand."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.models import (
    Conversation,
    ConversationState,
    Message,
    PresalesStep,
    PresalesTick,
    SenderKind,
)
from kefu.core.events import emit
from kefu.quality.events import ConversationChecked
from kefu.quality.matching import Hit, PhraseList, compiled, normalise, normalised_words
from kefu.quality.models import (
    CheckKind,
    Finding,
    Inspection,
    PendingCheck,
    QualitySettings,
    Review,
    RubricItem,
    SampleReason,
)
from kefu.quality.services.rubric import active_items, quality_settings

K = CheckKind
MAX_FINDINGS_PER_ITEM = 10
BATCH_SIZE = 500  # conversations read and written together by check_conversations


@dataclass
class Line:
    """A message as the checks see it: who wrote it, its text normalised and its words (jieba cuts
    each message once, whatever the number of items that look at it)."""

    message: Message
    flat: str
    words: list[str]

    @classmethod
    def of(cls, message: Message) -> Line:
        flat = normalise(message.body)
        return cls(message, flat, normalised_words(flat))

    @property
    def body(self) -> str:
        return self.message.body

    def hits(self, phrases: PhraseList) -> list[Hit]:
        return phrases.hits(self.body, self.words, self.flat)

    def first(self, phrases: PhraseList) -> str:
        return phrases.first(self.body, self.words, self.flat)


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
    return compiled(item.phrases)  # built once per run, not once per conversation


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
        if first is None or not first.first(_phrases(item)):
            found.append(
                Found(item, _("The first reply has no greeting."), first.message if first else None)
            )
    elif item.kind == K.CLOSING:
        last = agent_lines[-2:]
        if not any(line.first(_phrases(item)) for line in last):
            found.append(
                Found(
                    item,
                    _("The last replies have no closing."),
                    last[-1].message if last else None,
                )
            )
    elif item.kind == K.APOLOGY:
        triggers = compiled(item.triggers)
        for line in visitor_lines:
            trigger = line.first(triggers)
            if trigger:
                complained = True
                apologies = _phrases(item)
                later = [a for a in agent_lines if a.message.seq > line.message.seq]
                if not any(a.first(apologies) for a in later):
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
            hits = line.hits(phrases)
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
            hits = line.hits(phrases)
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
        Line.of(m)
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
    return check_conversations([conversation_id]).get(conversation_id)


def queue_checks(conversation_ids: Iterable[int]) -> None:
    """Mark closed conversations for their automatic check (a mark already there stays one)."""
    PendingCheck.objects.bulk_create(
        [PendingCheck(conversation_id=pk) for pk in dict.fromkeys(conversation_ids)],
        ignore_conflicts=True,
    )


def check_queued(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> int:
    """Check the marked conversations, oldest mark first, by batches of `batch_size` until none is
    left (or after `max_batches`), and remove their marks. Each is checked once, however many runs
    meet (an inspection already made is kept; see check_conversations). On PostgreSQL each batch is
    claimed (FOR UPDATE SKIP LOCKED) so two workers take different batches; SQLite has one writer.
    Returns how many marks were taken."""
    claim = connection.features.has_select_for_update_skip_locked
    taken = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic() if claim else contextlib.nullcontext():
            marks = PendingCheck.objects.order_by("queued_at", "conversation_id")
            if claim:
                marks = marks.select_for_update(skip_locked=True)
            ids = list(marks.values_list("conversation_id", flat=True)[:batch_size])
            if not ids:
                break
            check_conversations(ids, batch_size=batch_size)
            PendingCheck.objects.filter(conversation_id__in=ids).delete()
        taken += len(ids)
        batches += 1
    return taken


@dataclass
class _Checked:
    conversation: Conversation
    result: Result
    reason: str


def check_conversations(
    conversation_ids: Iterable[int], *, batch_size: int = BATCH_SIZE
) -> dict[int, Inspection]:
    """Check many closed conversations, each once: by batches of `batch_size`, each read in a few
    queries (the conversations, their messages, their pre-sales ticks) and written in one
    transaction (the inspections, findings and reviews in bulk, an event each). The rubric and the
    sampling rules are read once. Returns the inspection of each conversation checked now or
    before; nothing for a conversation not closed or no agent served."""
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        return {}
    items = active_items()
    settings = quality_settings()
    done: dict[int, Inspection] = {}
    for start in range(0, len(ids), batch_size):
        done.update(_check_batch(ids[start : start + batch_size], items, settings))
    return done


def _check_batch(
    ids: list[int], items: list[RubricItem], settings: QualitySettings
) -> dict[int, Inspection]:
    done: dict[int, Inspection] = {
        i.conversation_id: i
        for i in Inspection.objects.filter(conversation_id__in=ids)
        if i.conversation_id is not None
    }
    conversations = list(
        Conversation.objects.select_related("inbox", "assignee").filter(
            pk__in=[pk for pk in ids if pk not in done],
            state=ConversationState.CLOSED,
            assignee__isnull=False,
        )
    )
    if not conversations:
        return done
    by_conversation: dict[int, list[Message]] = {c.pk: [] for c in conversations}
    for message in Message.objects.filter(conversation_id__in=list(by_conversation)).order_by(
        "conversation_id", "seq"
    ):
        by_conversation[message.conversation_id].append(message)
    presales: dict[int, set[str]] = {}
    presales_ids = [c.pk for c in conversations if c.inbox.is_presales]
    if presales_ids:
        for conversation_id, step in PresalesTick.objects.filter(
            conversation_id__in=presales_ids
        ).values_list("conversation_id", "step"):
            presales.setdefault(conversation_id, set()).add(step)
    order = {pk: n for n, pk in enumerate(ids)}
    checked = []
    for conversation in sorted(conversations, key=lambda c: order[c.pk]):
        result = evaluate(
            conversation,
            by_conversation[conversation.pk],
            items,
            presales_done=presales.get(conversation.pk, set()),
        )
        reason = sample_reason(
            settings=settings,
            result=result,
            agent=conversation.assignee,
            rating=conversation.rating,
            closed_at=conversation.closed_at or timezone.now(),
        )
        checked.append(_Checked(conversation, result, reason))
    try:
        with transaction.atomic():
            done.update(_save(checked))
    except IntegrityError:  # some were checked meanwhile by another worker: one at a time
        for one in checked:
            pk = one.conversation.pk
            try:
                with transaction.atomic():
                    done.update(_save([one]))
            except IntegrityError:
                found = Inspection.objects.filter(conversation_id=pk).first()
                if found is not None:
                    done[pk] = found
    return done


def _save(checked: list[_Checked]) -> dict[int, Inspection]:
    """The inspections, their findings and the sampled reviews in bulk, and ConversationChecked for
    each (after commit). Inside the caller's transaction."""
    now = timezone.now()
    inspections = Inspection.objects.bulk_create(
        Inspection(
            conversation=one.conversation,
            agent=one.conversation.assignee,
            channel=one.conversation.inbox.kind,
            score=one.result.score,
            severe=one.result.severe,
            complained=one.result.complained,
            closed_at=one.conversation.closed_at or now,
        )
        for one in checked
    )
    Finding.objects.bulk_create(
        _finding(inspection, f, points)
        for inspection, one in zip(inspections, checked, strict=True)
        for f, points in one.result.findings
    )
    Review.objects.bulk_create(
        Review(inspection=inspection, reason=one.reason)
        for inspection, one in zip(inspections, checked, strict=True)
        if one.reason
    )
    for inspection, one in zip(inspections, checked, strict=True):
        emit(
            ConversationChecked(
                inspection_id=inspection.pk,
                conversation_id=one.conversation.pk,
                agent_id=one.conversation.assignee_id,
                score=one.result.score,
                severe=one.result.severe,
            )
        )
    return {
        one.conversation.pk: inspection
        for inspection, one in zip(inspections, checked, strict=True)
    }


def _finding(inspection: Inspection, f: Found, points: int) -> Finding:
    return Finding(
        inspection=inspection,
        item=f.item,
        kind=f.item.kind,
        label=f.item.label,
        message=f.message if f.message is not None and f.message.pk else None,  # a call's note
        matched=f.matched[:80],
        detail=f.detail[:200],
        points=points,
        severe=f.item.is_severe,
    )


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
    line = Line.of(note)
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
                _finding(inspection, f, points) for f, points in result.findings
            )
            if reason:
                Review.objects.create(inspection=inspection, reason=reason)
    except IntegrityError:  # checked meanwhile by another worker
        return Inspection.objects.filter(call_id=call_id).first()
    return inspection
