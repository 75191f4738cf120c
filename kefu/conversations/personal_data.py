"""What chats and e-mail hold about a customer (kefu/core/personal_data.py): conversations,
messages, images and mail attachments; and the retention of chat messages."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

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
    return {
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


def _old_messages(before: dt.datetime) -> Any:
    """Messages of chats closed before `before`, not yet purged."""
    return Message.objects.filter(conversation__closed_at__lt=before).exclude(body=pd.ERASED)


def register() -> None:
    pd.register(pd.Holder("conversations", _("Chats and e-mail"), export, erase, order=30))
    pd.register_retention(
        pd.retention_of(
            "chat_messages", _("Chat and e-mail message text"), _old_messages, body=pd.ERASED
        )
    )
