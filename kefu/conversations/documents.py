"""The conversations' search documents (kefu.core.search): a chat is found by the words of its
messages (internal notes too: only the service side searches) and by its customer's and visitor's
names. Registered from ConversationsConfig.ready().

A conversation's document grows with it: the batch that stores messages adds their words
(`add_messages`, in the batch's transaction: one read and one write of documents for the whole
batch, never a round trip per message; the names come with the batch's lock). A customer's new
name or a merge rewrites the documents of their chats after commit (subscribers.py); `kefu
search_rebuild conversations.conversation` writes every one again from the messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db.models import Prefetch

from kefu.conversations.models import Conversation, ConversationSearchDocument, Message
from kefu.core import search


def _names(conversation: Conversation) -> list[str]:
    return [
        conversation.customer.name if conversation.customer else "",
        conversation.visitor.name,
    ]


def conversation_document(conversation: Conversation) -> search.Document:
    return search.Document(
        text=[m.body for m in conversation.messages.all()], keywords=_names(conversation)
    )


CONVERSATIONS = search.Kind(
    name="conversations.conversation",
    model=Conversation,
    documents=ConversationSearchDocument,
    document=conversation_document,
    source=lambda: (
        Conversation.objects.select_related("customer", "visitor")
        .only("customer__name", "visitor__name")
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.only("conversation_id", "body"))
        )
    ),
)


def register() -> None:
    search.register(CONVERSATIONS)


def add_messages(messages: Iterable[Message], names: Mapping[int, Sequence[str]]) -> None:
    """Add the words of newly stored messages to their conversations' documents, in the caller's
    transaction (which holds the conversations' locks); `names`: each conversation's customer's
    and visitor's names, as the caller read them with the lock (batch_sql.lock_conversations)."""
    search.add(CONVERSATIONS, _grown(messages, names))


def add_messages_statement(
    messages: Iterable[Message], names: Mapping[int, Sequence[str]]
) -> tuple[str, list[int | str]] | None:
    """add_messages as one statement for the caller to send with its own write (PostgreSQL: the
    batch's writes in one round trip); None where add_messages must be called (SQLite)."""
    return search.add_statement(CONVERSATIONS, _grown(messages, names))


def _grown(
    messages: Iterable[Message], names: Mapping[int, Sequence[str]]
) -> dict[int, search.Document]:
    bodies: dict[int, list[str]] = {}
    for message in messages:
        bodies.setdefault(message.conversation_id, []).append(message.body)
    return {pk: search.Document(text=text, keywords=list(names[pk])) for pk, text in bodies.items()}


def index_conversations(ids: Iterable[int]) -> None:
    """Write these conversations' documents again from their messages (a name changed, a message
    was erased)."""
    search.index_ids(CONVERSATIONS, ids)
