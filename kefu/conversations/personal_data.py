"""What chats and e-mail hold about a customer (kefu/core/personal_data.py): conversations,
messages, images and mail attachments; and the retention of chat messages."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.conversations.documents import index_conversations
from kefu.conversations.models import (
    ChatImage,
    Conversation,
    MailAttachment,
    MailRecord,
    Message,
    Visitor,
)
from kefu.core import personal_data as pd


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    conversations = Conversation.objects.filter(customer=customer)
    inside = {"conversation__customer": customer}
    return [
        pd.Table(
            "conversations", pd.rows(conversations, ("id", "state", "created_at", "closed_at"))
        ),
        pd.Table(
            "messages",
            pd.rows(
                Message.objects.filter(**inside), ("conversation", "sender", "created_at", "body")
            ),
        ),
        pd.Table(
            "mails",
            pd.rows(
                MailRecord.objects.filter(**inside),
                ("conversation", "direction", "created_at", "address", "subject"),
            ),
        ),
        pd.Table(
            "visitors", pd.rows(Visitor.objects.filter(customer=customer), ("name", "created_at"))
        ),
        *pd.files(ChatImage.objects.filter(**inside), "chat_images"),
        *pd.files(MailAttachment.objects.filter(**inside), "mail_attachments"),
    ]


def erase(customer: Any) -> dict[str, int]:
    inside = {"conversation__customer": customer}
    erased = {
        "messages": pd.blank(Message.objects.filter(**inside), body=pd.ERASED),
        "mails": pd.blank(
            MailRecord.objects.filter(**inside),
            subject=pd.ERASED,
            address="",
            html="",
            references="",
        ),
        "visitors": pd.blank(Visitor.objects.filter(customer=customer), name="", external_id=None),
        "chat_images": pd.delete_files(ChatImage.objects.filter(**inside)),
        "mail_attachments": pd.delete_files(MailAttachment.objects.filter(**inside)),
    }
    # Their search documents: written again from the blanked messages and the blanked names.
    index_conversations(Conversation.objects.filter(customer=customer).values_list("pk", flat=True))
    return erased


def _old_messages(before: dt.datetime) -> Any:
    """Messages of chats closed before `before`, not yet purged."""
    return Message.objects.filter(conversation__closed_at__lt=before).exclude(body=pd.ERASED)


def _purge_old_messages(before: dt.datetime) -> int:
    """Blank the old messages, then write their chats' search documents again without them."""
    chats = list(_old_messages(before).values_list("conversation_id", flat=True).distinct())
    purged = pd.blank(_old_messages(before), body=pd.ERASED)
    index_conversations(chats)
    return purged


def register() -> None:
    pd.register(pd.Holder("conversations", _("Chats and e-mail"), export, erase, order=30))
    pd.register_retention(
        pd.RetentionKind(
            "chat_messages",
            _("Chat and e-mail message text"),
            count=lambda before: _old_messages(before).count(),
            purge=_purge_old_messages,
        )
    )
