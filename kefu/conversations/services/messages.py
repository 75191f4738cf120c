"""Messages: stored with the next sequence number in one transaction, once per idempotency key.

A client sends each message with a key of its choosing and resends it until acknowledged; the
acknowledgement is sent only after the row is committed. The same key in the same conversation
returns the message stored first, also when copies arrive at the same moment: the conversation row
is locked while the number is taken, the key is unique per conversation in the database, and a
writer that still loses the race reads the winner's row.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.conversations.events import MessagePosted
from kefu.conversations.models import Conversation, Message, SenderKind, Visitor
from kefu.conversations.selectors import active_conversation, can_serve, messages_after  # noqa: F401  (replay lives with the reads)
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import emit

MAX_BODY_CHARS = 5000
MAX_KEY_CHARS = 64


class ConversationClosedError(DomainError):
    """The conversation closed before the message could be stored."""


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise DomainError(_("A message must be text."))
    body = body.replace("\x00", "").strip()
    if not body:
        raise DomainError(_("The message is empty."))
    if len(body) > MAX_BODY_CHARS:
        raise DomainError(
            _("The message is too long: at most %(limit)d characters.") % {"limit": MAX_BODY_CHARS}
        )
    return body


def _clean_key(key) -> str | None:
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise DomainError(_("The message key must be text of at most %(limit)d characters.") % {"limit": MAX_KEY_CHARS})
    return key


def _by_key(conversation_id: int, key: str) -> Message | None:
    return Message.objects.filter(conversation_id=conversation_id, client_key=key).select_related("author").first()


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
    body = _clean_body(body)
    key = _clean_key(client_key)
    if sender not in SenderKind.values:
        raise DomainError(_("Unknown sender."))
    if is_internal and sender != SenderKind.AGENT:
        raise DomainError(_("Only agents write internal notes."))
    if key is not None and (existing := _by_key(conversation.pk, key)) is not None:
        return existing
    try:
        with transaction.atomic():
            return _store(conversation=conversation, sender=sender, body=body, key=key, author=author,
                          is_internal=is_internal)
    except IntegrityError:
        if key is None or (existing := _by_key(conversation.pk, key)) is None:
            raise
        return existing


def _store(*, conversation, sender, body, key, author, is_internal) -> Message:
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if key is not None and (existing := _by_key(locked.pk, key)) is not None:
        return existing  # a copy committed while this one waited for the lock
    if locked.is_closed:
        raise ConversationClosedError(_("This conversation is closed."))
    now = timezone.now()
    locked.last_seq += 1
    response_seconds = None
    if not is_internal:
        locked.last_activity_at = now
        if sender == SenderKind.VISITOR and locked.awaiting_reply_since is None:
            locked.awaiting_reply_since = now
        elif sender == SenderKind.AGENT:
            if locked.awaiting_reply_since is not None:
                response_seconds = max(int((now - locked.awaiting_reply_since).total_seconds()), 0)
                locked.awaiting_reply_since = None
            if locked.first_response_at is None:
                locked.first_response_at = now
    locked.save(update_fields=["last_seq", "last_activity_at", "awaiting_reply_since", "first_response_at"])
    message = Message.objects.create(
        conversation=locked, seq=locked.last_seq, sender=sender, author=author, client_key=key, body=body,
        is_internal=is_internal, response_seconds=response_seconds,
    )
    for field in ("last_seq", "last_activity_at", "awaiting_reply_since", "first_response_at"):
        setattr(conversation, field, getattr(locked, field))
    emit(MessagePosted(
        conversation_id=locked.pk, message_id=message.pk, seq=message.seq, sender=sender,
        author_id=author.pk if author else None, author_name=str(author) if author else "", body=body,
        is_internal=is_internal, created_at=message.created_at.isoformat(),
    ))
    return message


def _throttle_new_chats(address: str | None) -> None:
    """A flood of new chats from one address (a script minting visitor tokens) is refused; chats
    already open go on. Counted in the cache (per process in embedded mode). The limit is
    KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE; 0 turns it off (load tests from one machine)."""
    limit = settings.KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE
    if not address or not limit:
        return
    counter = f"kefu:new-chats:{address}"
    cache.add(counter, 0, timeout=60)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=60)
        count = 1
    if count > limit:
        raise DomainError(_("Too many new chats from your network; please wait a minute and try again."))


def send_visitor_message(*, visitor: Visitor, conversation: Conversation | None, body: str, client_key: str | None,
                         address: str | None = None) -> Message:
    """What the chat widget sends. Without a live conversation (none yet, or the last one closed)
    the message starts a new one, unless `address` (the visitor's network address) has started too
    many in the last minute; a key already stored in `conversation` is answered from there."""
    from kefu.conversations.services.lifecycle import start_conversation

    if conversation is not None and conversation.visitor_id != visitor.pk:
        raise Http404
    key = _clean_key(client_key)
    if conversation is not None and key is not None and (existing := _by_key(conversation.pk, key)) is not None:
        return existing
    _clean_body(body)  # refuse before starting a conversation for nothing
    if conversation is not None:
        conversation.refresh_from_db(fields=["state"])  # an agent or auto-close may have closed it
    if conversation is None or conversation.is_closed:
        if active_conversation(visitor) is None:
            _throttle_new_chats(address)
        conversation = start_conversation(visitor=visitor)
    try:
        return post_message(conversation=conversation, sender=SenderKind.VISITOR, body=body, client_key=key)
    except ConversationClosedError:  # closed between the check and the lock: continue in a new one
        conversation = start_conversation(visitor=visitor)
        return post_message(conversation=conversation, sender=SenderKind.VISITOR, body=body, client_key=key)


def send_agent_message(
    *, actor: User, conversation: Conversation, body: str, client_key: str | None, is_internal: bool = False,
) -> Message:
    """An agent's reply, or an internal note 内部备注 (seen by agents only). Load `conversation` with
    access_conversation first. Replies come from the agent serving it, or a supervisor; any agent
    who can see the conversation may add a note."""
    if not can_serve(actor) and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))
    if not is_internal and conversation.assignee_id != actor.pk and not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Only the agent serving this conversation can reply to the customer."))
    return post_message(
        conversation=conversation, sender=SenderKind.AGENT, body=body, client_key=client_key, author=actor,
        is_internal=is_internal,
    )
