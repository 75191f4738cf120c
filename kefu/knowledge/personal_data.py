"""What the knowledge base holds about a customer (kefu/core/personal_data.py): the question →
answer pairs kept from their closed chats (past answers, with phone and ID numbers masked but names,
addresses and e-mail as typed) and the excerpts of their messages flagged to the supervisors.

Erased pairs keep their row (what agents picked stays counted) and leave the search index: they
are suggested to nobody, and `kefu search_rebuild` does not bring them back (documents.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Conversation
from kefu.core import personal_data as pd
from kefu.core import search
from kefu.knowledge.documents import PAST_ANSWERS
from kefu.knowledge.models import MessageFlag, PastAnswer


def _chats(customer: Any) -> Any:
    return Conversation.objects.filter(customer=customer).values("pk")


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    chats = {"conversation_id__in": _chats(customer)}
    return [
        pd.Table(
            "past_answers",
            pd.rows(
                PastAnswer.objects.filter(**chats),
                ("conversation_id", "question", "answer", "created_at"),
            ),
        ),
        pd.Table(
            "message_flags",
            pd.rows(
                MessageFlag.objects.filter(**chats),
                ("conversation_id", "message_id", "reasons", "excerpt", "created_at"),
            ),
        ),
    ]


def erase(customer: Any) -> dict[str, int]:
    chats = {"conversation_id__in": _chats(customer)}
    answers = PastAnswer.objects.filter(**chats)
    ids = list(answers.values_list("pk", flat=True))
    search.remove(PAST_ANSWERS, ids)
    return {
        "past_answers": pd.blank(answers, question=pd.ERASED, answer=pd.ERASED),
        "message_flags": pd.blank(MessageFlag.objects.filter(**chats), excerpt=pd.ERASED),
    }


def register() -> None:
    pd.register(pd.Holder("knowledge", _("Knowledge base"), export, erase, order=40))
