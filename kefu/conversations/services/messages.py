"""Messages: stored with the next sequence number in one transaction, once per idempotency key.

A client sends each message with a key of its choosing and resends it until acknowledged; the
acknowledgement is sent only after the row is committed. The same key in the same conversation
returns the message stored first, also when copies arrive at the same moment: the conversation row
is locked while the number is taken, the key is unique per conversation in the database, and a
writer that still loses the race reads the winner's row.

Messages arriving on sockets are stored in batches, one transaction and one commit for all that
arrived while the previous batch was written (store_messages; the writer is services/writer.py).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.conversations.documents import add_messages, add_messages_statement
from kefu.conversations.events import MessagePosted
from kefu.conversations.models import Conversation, Message, SenderKind
from kefu.conversations.selectors import can_serve
from kefu.conversations.services import batch_sql
from kefu.conversations.states import CONVERSATION_FLOW
from kefu.core.errors import DomainError, NotFound, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters

MAX_BODY_CHARS = 5000
MAX_KEY_CHARS = 64


class ConversationClosedError(DomainError):
    """The conversation closed before the message could be stored."""


def clean_body(body) -> str:
    if not isinstance(body, str):
        raise DomainError(_("A message must be text."))
    body = strip_control_characters(body).strip()
    if not body:
        raise DomainError(_("The message is empty."))
    if len(body) > MAX_BODY_CHARS:
        raise DomainError(
            _("The message is too long: at most %(limit)d characters.") % {"limit": MAX_BODY_CHARS}
        )
    return body


def clean_key(key) -> str | None:
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise DomainError(
            _("The message key must be text of at most %(limit)d characters.")
            % {"limit": MAX_KEY_CHARS}
        )
    return key


def message_by_key(conversation_id: int, key: str) -> Message | None:
    return (
        Message.objects.filter(conversation_id=conversation_id, client_key=key)
        .select_related("author", "conversation")
        .first()
    )


def post_message(
    *,
    conversation: Conversation,
    sender: str,
    body: str,
    client_key: str | None = None,
    author: User | None = None,
    is_internal: bool = False,
) -> Message:
    """Store one message with the conversation's next sequence number and return it. The same
    `client_key` again returns the message stored first; nothing new is written or emitted.

    Checks what every message must be; who may post is the caller's business (send_* below).
    """
    body = clean_body(body)
    key = clean_key(client_key)
    if sender not in SenderKind.values:
        raise DomainError(_("Unknown sender."))
    if (
        is_internal and sender == SenderKind.VISITOR
    ):  # agents' notes, and the system's (a mail that failed)
        raise DomainError(_("Only agents write internal notes."))
    item = NewMessage(
        conversation_id=conversation.pk,
        sender=sender,
        body=body,
        key=key,
        author=author,
        is_internal=is_internal,
    )
    try:
        [result] = store_messages([item])
    except IntegrityError:
        found = message_by_key(conversation.pk, key) if key is not None else None
        if found is None:
            raise
        result = found
    if isinstance(result, Exception):
        raise result
    for field in CLOCK_FIELDS:  # the caller's copy moves on with the stored one
        setattr(conversation, field, getattr(result.conversation, field))
    return result


@dataclass(frozen=True)
class NewMessage:
    """One message to store; body and key already checked (clean_body, clean_key)."""

    conversation_id: int
    sender: str
    body: str
    key: str | None = None
    author: User | None = None
    is_internal: bool = False


def store_messages(batch: list[NewMessage]) -> list[Message | Exception]:
    """Store `batch` in one transaction and one commit (group commit: the socket writer hands over
    everything that arrived while the last batch was being written). Returns, in order, each
    message (the one stored first when its key was seen before, also earlier in this batch) or the
    error that refused it (a closed or unknown conversation), which refuses that message only.

    The conversations are locked while their numbers are taken, so sequence numbers have no gaps
    and a key is stored once, also against other processes.
    """
    if not batch:
        return []
    with transaction.atomic():
        ids = sorted({item.conversation_id for item in batch})
        keys = {item.key for item in batch if item.key is not None}
        read = batch_sql.lock_conversations(ids, keys)
        locked, kinds, known = read.conversations, read.kinds, read.known
        results: list[Message | Exception] = []
        new: list[Message] = []
        changed: set[int] = set()
        now = timezone.now()
        for item in batch:
            conversation = locked.get(item.conversation_id)
            if item.key is not None and (item.conversation_id, item.key) in known:
                results.append(known[item.conversation_id, item.key])
            elif conversation is None:
                results.append(NotFound(_("Conversation not found.")))
            elif conversation.is_closed:
                results.append(ConversationClosedError(_("This conversation is closed.")))
            elif (refusal := _refusal(item, conversation)) is not None:
                results.append(refusal)
            else:
                message = _numbered(conversation, item, now)
                message.created_at = now
                changed.add(conversation.pk)
                new.append(message)
                results.append(message)
                if item.key is not None:
                    known[item.conversation_id, item.key] = message
        if not new:
            return results
        # Their words, committed with them: on PostgreSQL the documents' upsert goes in the same
        # round trip as the messages' insert (a pipeline); on SQLite after it.
        words = add_messages_statement(new, read.names)
        batch_sql.insert_messages(new, [locked[pk] for pk in sorted(changed)], also=words)
        if words is None:
            add_messages(new, read.names)
        for message in new:
            emit(
                MessagePosted(
                    conversation_id=message.conversation_id,
                    channel=kinds[message.conversation_id],
                    message_id=message.pk,
                    seq=message.seq,
                    sender=message.sender,
                    author_id=message.author_id,
                    author_name=str(message.author) if message.author_id else "",
                    body=message.body,
                    is_internal=message.is_internal,
                    created_at=now.isoformat(),
                )
            )
    return results


CLOCK_FIELDS = batch_sql.CLOCK_COLUMNS


def _refusal(item: NewMessage, conversation: Conversation) -> DomainError | None:
    """An agent's answer to the customer comes from the agent serving the conversation, or a
    supervisor (the table's `reply`); a note from anyone on the service side (`note`). Checked under
    the conversation's lock, so a reassignment a moment before is respected."""
    if item.sender != SenderKind.AGENT or item.author is None:
        return None
    name = "note" if item.is_internal else "reply"
    if CONVERSATION_FLOW.may(conversation.state, name, actor=item.author, obj=conversation):
        return None
    if item.is_internal:
        return PermissionRefused(_("You do not have permission to do this."))
    return PermissionRefused(
        _("Only the agent serving this conversation can reply to the customer.")
    )


def _numbered(conversation: Conversation, item: NewMessage, now) -> Message:
    """The conversation's next message, with its clocks moved on (in memory; the caller saves):
    the last activity, since when the visitor waits for an answer, the first response, and on an
    agent's answer the seconds the visitor waited (每次响应时间)."""
    conversation.last_seq += 1
    response_seconds = None
    if not item.is_internal:
        conversation.last_activity_at = now
        if item.sender == SenderKind.VISITOR and conversation.awaiting_reply_since is None:
            conversation.awaiting_reply_since = now
        elif item.sender == SenderKind.AGENT:
            if conversation.awaiting_reply_since is not None:
                response_seconds = max(
                    int((now - conversation.awaiting_reply_since).total_seconds()), 0
                )
                conversation.awaiting_reply_since = None
            if conversation.first_response_at is None:
                conversation.first_response_at = now
    message = Message(
        conversation_id=conversation.pk,
        seq=conversation.last_seq,
        sender=item.sender,
        author_id=item.author.pk if item.author is not None else None,
        client_key=item.key,
        body=item.body,
        is_internal=item.is_internal,
        response_seconds=response_seconds,
    )
    # The related objects the caller reads (message.conversation, .author) set by their ids and
    # cached as they are: the relations' descriptors checked each on every message (a busy writer's
    # most frequent Python work after the sockets).
    _CONVERSATION_FIELD.set_cached_value(message, conversation)
    if item.author is not None:
        _AUTHOR_FIELD.set_cached_value(message, item.author)
    return message


_CONVERSATION_FIELD = Message.conversation.field
_AUTHOR_FIELD = Message.author.field


def check_agent_may_send(*, actor: User) -> None:
    """Agents and supervisors write in conversations they may see (access_conversation); who may
    answer the customer is checked when the message is stored (_may_reply). Raises PermissionRefused."""
    if not can_serve(actor) and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


def send_agent_message(
    *,
    actor: User,
    conversation: Conversation,
    body: str,
    client_key: str | None,
    is_internal: bool = False,
) -> Message:
    """An agent's reply, or an internal note 内部备注 (seen by agents only). Load `conversation` with
    access_conversation first."""
    check_agent_may_send(actor=actor)
    return post_message(
        conversation=conversation,
        sender=SenderKind.AGENT,
        body=body,
        client_key=client_key,
        author=actor,
        is_internal=is_internal,
    )
