"""Who the visitor is: the signed token they bring back, and the identity their site vouches for."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from kefu.conversations import identity
from kefu.conversations.models import Conversation, ConversationState, Inbox, Visitor
from kefu.customers.models import ContactIdentity, IdentityKind


def _customer_id_for(external_id: str) -> int | None:
    """The customer whose archive lists this site user id (a 访客 contact identity)."""
    found = (
        ContactIdentity.objects.filter(
            kind=IdentityKind.VISITOR, value=external_id, customer__merged_into__isnull=True
        )
        .values_list("customer_id", flat=True)
        .first()
    )
    return found


def identify_visitor(*, inbox: Inbox, token: str | None = None, claim=None) -> tuple[Visitor, str]:
    """The visitor behind `token` (a new anonymous one when it is missing, tampered with, expired or
    for another inbox) and the token to keep. A claim signed with the inbox secret makes the visitor
    known: the same site user gets the same visitor on every device, linked to their customer when
    the archive knows the id. An unsigned or wrongly signed claim changes nothing."""
    now = timezone.now()
    token_id = identity.read_visitor_token(token, inbox_id=inbox.pk) if token else None
    visitor = Visitor.objects.filter(inbox=inbox, token_id=token_id).first() if token_id else None
    external_id = identity.verified_user_id(secret=inbox.secret, claim=claim)
    if external_id is not None and (visitor is None or visitor.external_id != external_id):
        visitor = _verified_visitor(inbox=inbox, external_id=external_id, anonymous=visitor)
    if visitor is None:
        visitor = Visitor.objects.create(inbox=inbox, last_seen_at=now)
    else:
        if visitor.external_id and visitor.customer_id is None:
            visitor.customer_id = _customer_id_for(visitor.external_id)
        visitor.last_seen_at = now
        visitor.save(update_fields=["last_seen_at", "customer"])
    if visitor.customer_id is not None:
        # A chat begun anonymously belongs to the customer once the site has vouched for them.
        Conversation.objects.filter(visitor=visitor, customer__isnull=True).exclude(
            state=ConversationState.CLOSED
        ).update(customer_id=visitor.customer_id)
    return visitor, identity.make_visitor_token(inbox_id=inbox.pk, token_id=visitor.token_id)


def _verified_visitor(*, inbox: Inbox, external_id: str, anonymous: Visitor | None) -> Visitor:
    existing = Visitor.objects.filter(inbox=inbox, external_id=external_id).first()
    if existing is not None:
        return existing
    customer_id = _customer_id_for(external_id)
    if anonymous is not None and not anonymous.external_id:
        # The anonymous visitor signed in on the site: keep their conversation, now known.
        anonymous.external_id = external_id
        anonymous.customer_id = customer_id
        try:
            with transaction.atomic():
                anonymous.save(update_fields=["external_id", "customer"])
        except IntegrityError:  # the same user verified at the same moment elsewhere
            return Visitor.objects.get(inbox=inbox, external_id=external_id)
        return anonymous
    try:
        with transaction.atomic():
            return Visitor.objects.create(
                inbox=inbox, external_id=external_id, customer_id=customer_id
            )
    except IntegrityError:
        return Visitor.objects.get(inbox=inbox, external_id=external_id)
