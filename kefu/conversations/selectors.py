"""Reads of conversations, and who may open which one.

Supervisors and managers (Perm.ASSIGN_WORK) and inspectors (Perm.INSPECT_QUALITY, read only) see
every conversation. An agent sees the ones assigned
to them and those of their teams. Another agent's conversation answers exactly like a missing one
(404), so ids reveal nothing.
"""

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm
from kefu.conversations.documents import CONVERSATIONS
from kefu.conversations.models import (
    ChannelKind,
    Conversation,
    ConversationState,
    MailAttachment,
    MailDirection,
    MailRecord,
    Message,
    SenderKind,
    Visitor,
)
from kefu.core import search
from kefu.core.pagination import Page, keyset_page
from kefu.core.querysets import count_up_to

SERVING_ROLES = frozenset(
    role for role, perms in ROLE_PERMISSIONS.items() if Perm.SERVE_CUSTOMERS in perms
)

if TYPE_CHECKING:  # imported where used: statistics reads these selectors
    from kefu.conversations.statistics import AgentDay


def can_serve(user: User) -> bool:
    return user.is_active and user.has_perm(Perm.SERVE_CUSTOMERS)


def visible_conversations(user: User) -> QuerySet[Conversation]:
    qs = Conversation.objects.all()
    if user.has_perm(Perm.ASSIGN_WORK) or user.has_perm(Perm.INSPECT_QUALITY):
        return qs  # inspectors (质检) read every conversation; the services refuse them any change
    if not can_serve(user):
        return qs.none()
    team_ids = (
        list(user.agent_profile.teams.values_list("id", flat=True))
        if hasattr(user, "agent_profile")
        else []
    )
    return qs.filter(Q(assignee=user) | Q(team_id__in=team_ids))


def access_conversation(*, actor: User, conversation_id) -> Conversation:
    """The conversation if `actor` may see it; Http404 otherwise (also for a malformed id)."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < conversation_id < 2**63:  # beyond what the databases store: missing, not a crash
        raise Http404
    conversation = (
        visible_conversations(actor).select_related("inbox").filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Http404
    return conversation


def with_mail(conversation: Conversation, messages: list[Message]) -> list[Message]:
    """Give each message of an e-mail conversation its mail, in two queries: `mail_record` (the
    MailRecord received or sent, or None) and `attachment_list` (the files kept, in order).
    Other conversations' messages are returned untouched."""
    if conversation.inbox.kind != ChannelKind.EMAIL or not messages:
        return messages
    ids = [m.pk for m in messages]
    records = {
        r.message_id: r
        for r in MailRecord.objects.filter(conversation=conversation, message_id__in=ids)
    }
    files: dict[int, list[MailAttachment]] = {}
    for attachment in MailAttachment.objects.filter(
        conversation=conversation, message_id__in=ids
    ).order_by("id"):
        files.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.mail_record = records.get(message.pk)
        message.attachment_list = files.get(message.pk, [])
    return messages


def conversation_message(conversation: Conversation, message_id) -> Message:
    """One message of the conversation (load the conversation with access_conversation); Http404
    for another conversation's or a malformed id."""
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise Http404 from None
    message = (
        Message.objects.filter(conversation=conversation, pk=message_id)
        .select_related("author")
        .first()
        if 0 < message_id < 2**63
        else None
    )
    if message is None:
        raise Http404
    return with_mail(conversation, [message])[0]


def mail_attachment(conversation: Conversation, attachment_id) -> MailAttachment:
    """A file kept from one of the conversation's e-mails; Http404 for another conversation's."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise Http404 from None
    attachment = (
        MailAttachment.objects.filter(conversation=conversation, pk=attachment_id).first()
        if 0 < attachment_id < 2**63
        else None
    )
    if attachment is None:
        raise Http404
    return attachment


def mail_payload(message: Message, attachment_url) -> dict | None:
    """The e-mail fields of a message passed through with_mail (None for a chat message):
    `attachment_url(attachment)` says where each file is downloaded."""
    record: MailRecord | None = getattr(message, "mail_record", None)
    if record is None:
        return None
    return {
        "direction": record.direction,
        "subject": record.subject,
        "address": record.address,
        "sender_verified": record.sender_verified,
        "has_html": record.direction == MailDirection.IN and bool(record.html),
        "send_state": record.send_state,
        "error": record.last_error,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "url": attachment_url(a),
            }
            for a in message.attachment_list
        ],
        "refused_attachments": [
            {"name": str(r.get("name", "")), "reason": str(r.get("reason", ""))}
            for r in record.refused_attachments
        ],
    }


def active_conversation(visitor: Visitor) -> Conversation | None:
    """The visitor's conversation that is not closed yet, if any."""
    return (
        Conversation.objects.filter(visitor=visitor)
        .exclude(state=ConversationState.CLOSED)
        .order_by("-id")
        .first()
    )


def messages_after(
    conversation: Conversation, seq: int, *, include_internal: bool = False, limit: int = 500
) -> list[Message]:
    """Messages numbered after `seq`, oldest first: what a reconnecting client missed. Internal notes only when asked:
    a visitor's replay never includes them."""
    qs = Message.objects.filter(conversation=conversation, seq__gt=max(int(seq), 0))
    if not include_internal:
        qs = qs.filter(is_internal=False)
    return list(qs.select_related("author").order_by("seq")[:limit])


def open_conversation_ids(user: User) -> list[int]:
    """Conversations `user` is serving now: their sockets follow these."""
    return list(
        Conversation.objects.filter(assignee=user, state=ConversationState.OPEN).values_list(
            "id", flat=True
        )
    )


def message_payload(message: Message) -> dict:
    """A message as sockets and the API show it. Callers decide who may receive it (audiences)."""
    author = message.author
    return {
        "id": message.pk,
        "seq": message.seq,
        "sender": message.sender,
        "author_id": message.author_id,
        "author_name": str(author) if author else "",
        "body": message.body,
        "is_internal": message.is_internal,
        "created_at": message.created_at.isoformat(),
    }


def business_now():
    """The moment working hours are judged at (tests pin it to a working morning)."""
    return timezone.now()


def working_team_ids(now=None) -> set[int]:
    """The teams (技能组) at work now: a working day of the business calendar, within the team's
    hours (售前组 08:30–22:00, 售后组 09:00–18:00 in the demo). Until rosters land, routing gives
    chats only to agents of these teams (agents in no team have no hours and are not held back)."""
    from kefu.accounts.models import Team
    from kefu.core.business_calendar import BusinessCalendar, WorkingHours

    now = now or business_now()
    calendar = BusinessCalendar()
    if not calendar.is_working_day(timezone.localtime(now).date()):
        return set()
    return {
        team.pk
        for team in Team.objects.only("id", "work_start", "work_end")
        if calendar.with_hours(WorkingHours.of_team(team)).is_working_time(now)
    }


def team_hours(team) -> str:
    """A team's working hours as the widget shows them: 08:30–22:00."""
    return f"{team.work_start:%H:%M}–{team.work_end:%H:%M}"


def on_duty(inbox, *, working: set[int] | None = None) -> bool:
    """Whether somebody is at work who could serve this inbox's chats (busy with other chats or
    not: a full agent still means a queue, not the offline form). Same rules as routing: online, a
    serving role, the inbox's team and skill when it names them, never its routing-only main
    account, and a team at work now (working_team_ids)."""
    from kefu.accounts.models import AgentProfile, Presence

    working = working_team_ids() if working is None else working
    if inbox.team_id is not None and inbox.team_id not in working:
        return False
    profiles = AgentProfile.objects.filter(
        presence=Presence.ONLINE,
        user__is_active=True,
        user__role__in=SERVING_ROLES,
    )
    if inbox.main_account_id is not None:
        profiles = profiles.exclude(user_id=inbox.main_account_id)
    if inbox.team_id is not None:
        profiles = profiles.filter(teams=inbox.team_id)
    else:
        profiles = profiles.filter(Q(teams__isnull=True) | Q(teams__in=working))
    if inbox.needed_skill_id is not None:
        profiles = profiles.filter(
            Q(skills=inbox.needed_skill_id) | Q(teams__skills=inbox.needed_skill_id)
        )
    return profiles.exists()


def _waiting_of_inbox(inbox_id: int) -> QuerySet[Conversation]:
    return Conversation.objects.filter(inbox_id=inbox_id, state=ConversationState.WAITING)


def queue_position(conversation: Conversation) -> int | None:
    """1 for the oldest waiting conversation of the inbox, 2 for the next…; None unless waiting.
    The queue is the inbox's: routing serves the oldest first (services/routing.py)."""
    if conversation.state != ConversationState.WAITING:
        return None
    ahead = (
        _waiting_of_inbox(conversation.inbox_id)
        .filter(
            Q(created_at__lt=conversation.created_at)
            | Q(created_at=conversation.created_at, id__lt=conversation.pk)
        )
        .count()
    )
    return ahead + 1


def queue_positions(inbox_id: int, *, limit: int = 200) -> list[tuple[int, int]]:
    """(conversation id, position) of the inbox's waiting conversations, oldest first; the first
    `limit` only (those behind learn their place when they move up or ask)."""
    ids = (
        _waiting_of_inbox(inbox_id)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return [(cid, n) for n, cid in enumerate(ids, start=1)]


LISTS = ("waiting", "mine", "team", "closed")
LIST_SIZE = 100


def _listed(user: User) -> QuerySet[Conversation]:
    """What a list shows of each conversation `user` may see: with its last message."""
    qs = visible_conversations(user).select_related("inbox", "visitor", "customer", "assignee")
    return qs.annotate(
        last_body=Subquery(
            Message.objects.filter(conversation=OuterRef("pk"), is_internal=False)
            .order_by("-seq")
            .values("body")[:1]
        )
    )


def search_conversations(user: User, q: str) -> QuerySet[Conversation]:
    """The conversations `user` may see, open or closed, whose messages or customer's or visitor's
    name hold every word of `q` (kefu.core.search), newest first: page it with
    kefu.core.pagination.keyset_page, which reads the index in that order."""
    return search.filter(_listed(user), CONVERSATIONS, q).order_by("-id")


def conversation_list(user: User, name: str) -> QuerySet[Conversation]:
    """One of the workspace's lists, as `user` may see it:
    waiting  the queue (the agent's teams; every queue for supervisors), oldest first
    mine     the conversations `user` is serving now
    team     open ones of the agent's teams served by someone else (every one for supervisors)
    closed   ended ones, most recently closed first
    """
    qs = _listed(user)
    if name == "waiting":
        return qs.filter(state=ConversationState.WAITING).order_by("created_at", "id")
    if name == "mine":
        return qs.filter(state=ConversationState.OPEN, assignee=user).order_by(
            "-last_activity_at", "-id"
        )
    if name == "team":
        return (
            qs.filter(state=ConversationState.OPEN)
            .exclude(assignee=user)
            .order_by("-last_activity_at", "-id")
        )
    if name == "closed":
        return qs.filter(state=ConversationState.CLOSED).order_by("-closed_at", "-id")
    return qs.none()


# What the workspace's rows show (views.conversation_rows_html): loading only these columns of the
# four joined rows halves what a page of 100 costs to read (bench/README.md, pages).
ROW_FIELDS = (
    *("id", "last_seq", "last_activity_at", "created_at", "state"),
    *("customer", "customer__name", "visitor", "visitor__name", "inbox", "inbox__name"),
    *("assignee", "assignee__username", "assignee__display_name"),
)


def conversation_page(
    user: User,
    *,
    name: str,
    q: str = "",
    cursor: str | int | None = None,
    size: int = LIST_SIZE,
    fields: tuple[str, ...] = (),
) -> Page:
    """What the workspace and the API list: with words `q` (cleaned: search.clean_query), every
    conversation `user` may see whose messages or names hold them (search_conversations), newest
    first, a page of `size` after `cursor` with the next page's cursor; without, the first `size`
    of the list `name` (conversation_list: live queues, no next page). With `fields` (ROW_FIELDS),
    only those columns are read."""
    qs = search_conversations(user, q) if q else conversation_list(user, name)
    if fields:
        qs = qs.only(*fields)
    if q:
        return keyset_page(qs, cursor=cursor, size=size)
    return Page(items=list(qs[:size]), next_cursor=None, cursor=None)


def list_counts(user: User) -> dict[str, int]:
    """How many conversations each open list holds (the closed list is not counted), each counted up
    to core.querysets.COUNT_CAP ("1000+")."""
    visible = visible_conversations(user)
    return {
        "waiting": count_up_to(visible.filter(state=ConversationState.WAITING)),
        "mine": count_up_to(visible.filter(state=ConversationState.OPEN, assignee=user)),
        "team": count_up_to(visible.filter(state=ConversationState.OPEN).exclude(assignee=user)),
    }


def display_name(conversation: Conversation) -> str:
    """Who is on the other side, as agents see them: the customer, the visitor's name, or 访客 #id."""
    if conversation.customer is not None:
        return conversation.customer.name
    visitor = conversation.visitor
    return visitor.name or _("Visitor #%(id)s") % {"id": visitor.pk}


def presales_line(conversation: Conversation) -> str:
    """The pre-sales flow of a pre-sales chat in one line: 售前流程：✓欢迎语 ✓活动告知 ✗宝贝介绍 …
    ('' for other chats)."""
    from kefu.conversations.models import PresalesStep, PresalesTick

    if not conversation.inbox.is_presales:
        return ""
    done = set(
        PresalesTick.objects.filter(conversation=conversation).values_list("step", flat=True)
    )
    steps = " ".join(f"{'✓' if step.value in done else '✗'}{step.label}" for step in PresalesStep)
    return _("Pre-sales flow: %(steps)s") % {"steps": steps}


def transcript(conversation: Conversation) -> str:
    """The chat as the customer saw it (internal notes left out), one line per message, Shanghai
    time; a pre-sales chat ends with the steps of the pre-sales flow done."""
    lines = []
    name = display_name(conversation)
    for m in (
        Message.objects.filter(conversation=conversation, is_internal=False)
        .select_related("author")
        .order_by("seq")
    ):
        names: dict[str, str] = {SenderKind.VISITOR: name, SenderKind.SYSTEM: _("System")}
        who = names.get(m.sender) or (str(m.author) if m.author else _("Agent"))
        lines.append(f"[{timezone.localtime(m.created_at):%Y-%m-%d %H:%M}] {who}: {m.body}")
    if lines and (steps := presales_line(conversation)):
        lines.append(steps)
    return "\n".join(lines)


def header_name(conversation: Conversation) -> str:
    """The name at the top of an open chat: the customer's, the visitor's, or 访客 without the
    visitor's number (the chat's own number stands beside it; two numbers read as one twice)."""
    if conversation.customer is not None:
        return conversation.customer.name
    return conversation.visitor.name or _("Visitor")


def available_agents(conversation: Conversation) -> list[User]:
    """Whom `conversation` may be transferred or given to now: online, serving customers, with room
    for one more chat, not its inbox's main account nor its agent (states.agent_refusal, with each
    agent's open chats counted in one query)."""
    from django.db.models import Count

    from kefu.accounts.models import AgentProfile, Presence
    from kefu.conversations.states import agent_refusal

    profiles = list(
        AgentProfile.objects.filter(
            presence=Presence.ONLINE, user__is_active=True, user__role__in=SERVING_ROLES
        )
        .exclude(user_id=conversation.assignee_id or 0)  # 0: nobody (ids start at 1)
        .select_related("user")
        .order_by("user_id")
    )
    counts = dict(
        Conversation.objects.filter(
            assignee_id__in=[p.user_id for p in profiles], state=ConversationState.OPEN
        )
        .values_list("assignee")
        .annotate(n=Count("id"))
        .values_list("assignee", "n")
    )
    return [
        p.user
        for p in profiles
        if agent_refusal(conversation, p.user, serving=counts.get(p.user_id, 0)) is None
    ]


def chat_totals(*, since: dt.date, until: dt.date) -> "list[AgentDay]":
    """会话统计's facts per agent over [since, until] (kefu/conversations/statistics.py): chats,
    first response, satisfaction of every channel — for the KPIs of quality and performance."""
    from kefu.conversations.statistics import agent_totals

    return agent_totals(since=since, until=until)
