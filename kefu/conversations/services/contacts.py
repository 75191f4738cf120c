"""Chats and e-mail replies count as contact with the customer (the seven-day rule, seed 000):
when a conversation closes, and when an agent's e-mail reply has gone out, the customer's last contact
moves; it meets the rule when the owner (or a supervisor) wrote to the customer."""

from __future__ import annotations

import datetime as dt

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, Message, SenderKind
from kefu.customers.services.profiles import counts_for_contact_rule, note_contact


def note_conversation_contact(*, conversation_id: int) -> bool:
    """Note the customer contact this conversation made, if an agent wrote to the customer in it.
    Returns whether the seven-day rule was met by it."""
    conversation = (
        Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
    )
    if conversation is None or conversation.customer is None:
        return False
    customer = conversation.customer
    replies = Message.objects.filter(
        conversation_id=conversation_id, sender=SenderKind.AGENT, is_internal=False
    ).exclude(author=None)
    latest: dict[int, dt.datetime] = {}
    for author_id, created_at in replies.order_by("created_at").values_list(
        "author_id", "created_at"
    ):
        latest[author_id] = created_at
    if not latest:
        return False
    authors = User.objects.in_bulk(list(latest))
    counting = [a for a in authors.values() if counts_for_contact_rule(a, customer)]
    author = (
        max(counting, key=lambda a: latest[a.pk])
        if counting
        else authors[max(latest, key=lambda pk: latest[pk])]
    )
    note_contact(actor=author, customer_id=customer.pk, at=latest[author.pk])
    return bool(counting)
