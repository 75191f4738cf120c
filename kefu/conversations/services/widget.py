"""What the chat widget's visitor does: a message (the first one starts a conversation, within the
flood limit), images sent in a chat, and the message left through the offline form when nobody is
on duty. The socket (kefu/realtime/visitor.py, through services/writer.py) and the HTTP endpoints
(widget_views.py) both come here.

An image is a `ChatImage` row (file under MEDIA_ROOT/chat-images/, random name) and a visitor
message whose body is `IMAGE_MARKER + " " + url`, the url of the permission-checked view
(kefu/conversations/widget_views.py). Keeping it a plain message keeps the sequence numbers, the
idempotency key and the replay exactly as for text; clients that know the marker show the picture,
any other shows a readable line with the link.

The offline form becomes a ticket (channel web_chat) created by one dedicated service account,
`WIDGET_SERVICE_USERNAME`, made on first use: a ticket must have a creator who may create tickets,
and the form is nobody's personal action — not an agent's, and not the inbox's routing-only main
account (a person whose name would then appear on tickets they never saw). The account has no usable
password and no agent profile, so it cannot sign in and routing never gives it a chat.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.conversations.models import ChatImage, Conversation, Inbox, Message, SenderKind, Visitor
from kefu.conversations.selectors import active_conversation
from kefu.conversations.services.lifecycle import start_conversation
from kefu.conversations.services.messages import (
    ConversationClosedError,
    clean_body,
    clean_key,
    message_by_key,
    post_message,
)
from kefu.core import ratelimit
from kefu.core.errors import DomainError, NotFound
from kefu.core.text import strip_control_characters
from kefu.core.uploads import inspect_upload, storage_path
from kefu.customers.identities import (
    InvalidIdentity,
    normalise_email,
    normalise_mobile,
    normalise_phone,
)
from kefu.customers.models import ContactIdentity, IdentityKind
from kefu.customers.services import profiles
from kefu.feedback.models import FeedbackReport, ReportChannel
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

IMAGE_MARKER = (
    "[图片]"  # a fixed token of the message format (not interface text): never translated
)
WIDGET_SERVICE_USERNAME = "kefu-widget"
WIDGET_SERVICE_DISPLAY_NAME = "网页留言"
OFFLINE_NAME_MAX = 60
OFFLINE_MESSAGE_MAX = 2000
OFFLINE_PER_VISITOR_PER_HOUR = 5


def _throttle_new_chats(address: str | None) -> None:
    """A flood of new chats from one address (a script minting visitor tokens) is refused; chats
    already open go on. Counted in the cache (per process in embedded mode). The limit is
    KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE; 0 turns it off (load tests from one machine)."""
    limit = settings.KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE
    if not address or not limit:
        return
    if ratelimit.hit(f"new-chats:{address}", limit, 60) is not None:
        raise DomainError(
            _("Too many new chats from your network; please wait a minute and try again.")
        )


def send_visitor_message(
    *,
    visitor: Visitor,
    conversation: Conversation | None,
    body: str,
    client_key: str | None,
    address: str | None = None,
) -> Message:
    """What the chat widget sends. Without a live conversation (none yet, or the last one closed)
    the message starts a new one, unless `address` (the visitor's network address) has started too
    many in the last minute; a key already stored in `conversation` is answered from there."""
    if conversation is not None and conversation.visitor_id != visitor.pk:
        raise NotFound(_("Conversation not found."))
    key = clean_key(client_key)
    if (
        conversation is not None
        and key is not None
        and (existing := message_by_key(conversation.pk, key)) is not None
    ):
        return existing
    clean_body(body)  # refuse before starting a conversation for nothing
    if conversation is not None:
        conversation.refresh_from_db(fields=["state"])  # an agent or auto-close may have closed it
    if conversation is None or conversation.is_closed:
        if active_conversation(visitor) is None:
            _throttle_new_chats(address)
        conversation = start_conversation(visitor=visitor)
    try:
        return post_message(
            conversation=conversation, sender=SenderKind.VISITOR, body=body, client_key=key
        )
    except ConversationClosedError:  # closed between the check and the lock: continue in a new one
        conversation = start_conversation(visitor=visitor)
        return post_message(
            conversation=conversation, sender=SenderKind.VISITOR, body=body, client_key=key
        )


def image_url(public_id: str) -> str:
    return reverse("widget:image", args=[public_id])


def image_body(public_id: str) -> str:
    return f"{IMAGE_MARKER} {image_url(public_id)}"


def send_visitor_image(*, visitor: Visitor, upload, client_key: str | None) -> Message:
    """Store an image the visitor sent and post it as their message in their live conversation
    (a new one when none is open). The same key again returns the message stored first and keeps
    no second file. Only images are accepted, checked by their content (kefu.core.uploads)."""
    inspected = inspect_upload(upload)
    if not inspected.kind.is_image:
        raise DomainError(_("Only images (PNG, JPEG, GIF, WebP) can be sent in the chat."))
    image = ChatImage(
        name=inspected.name, content_type=inspected.kind.content_type, size=inspected.size
    )
    body = image_body(image.public_id)
    stored = default_storage.save(storage_path("chat-images", inspected), upload)
    try:
        with transaction.atomic():
            message = send_visitor_message(
                visitor=visitor,
                conversation=active_conversation(visitor),
                body=body,
                client_key=client_key,
            )
            if message.body == body:
                image.conversation, image.file = message.conversation, stored
                image.save()
    except Exception:
        default_storage.delete(stored)
        raise
    if message.body != body:  # this key was stored before: the first image stands
        default_storage.delete(stored)
    return message


def widget_service_user() -> User:
    """The account the offline form's tickets are created by (see the module's note)."""
    user, created = User.objects.get_or_create(
        username=WIDGET_SERVICE_USERNAME,
        defaults={
            "role": Role.AGENT,
            "display_name": WIDGET_SERVICE_DISPLAY_NAME,
            "is_active": True,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _clean_text(value, *, limit: int, empty_message: str, long_message: str) -> str:
    if not isinstance(value, str):
        value = ""
    value = strip_control_characters(unicodedata.normalize("NFC", value)).strip()
    if not value:
        raise DomainError(empty_message)
    if len(value) > limit:
        raise DomainError(long_message % {"limit": limit})
    return value


def _clean_contact(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(_("Please leave a phone number or an e-mail address so we can reply."))
    try:
        return normalise_email(text) if "@" in text else normalise_phone(text)
    except InvalidIdentity:
        raise DomainError(
            _("“%(value)s” is neither a phone number nor an e-mail address.") % {"value": text[:60]}
        ) from None


def leave_offline_message(*, inbox: Inbox, visitor: Visitor, name, contact, message) -> Ticket:
    """The offline form 留言: a consultation ticket on the web chat channel, linked to the
    visitor's customer when the site vouched for them. At most OFFLINE_PER_VISITOR_PER_HOUR per
    visitor and hour (a flood is refused with a clear message, nothing is created)."""
    name = _clean_text(
        name,
        limit=OFFLINE_NAME_MAX,
        empty_message=_("Please tell us your name."),
        long_message=_("The name is too long: at most %(limit)d characters."),
    )
    contact = _clean_contact(contact)
    text = _clean_text(
        message,
        limit=OFFLINE_MESSAGE_MAX,
        empty_message=_("Please write your message."),
        long_message=_("The message is too long: at most %(limit)d characters."),
    )
    counter = f"kefu:widget-offline:{visitor.token_id}"
    cache.add(counter, 0, timeout=3600)
    if cache.incr(counter) > OFFLINE_PER_VISITOR_PER_HOUR:
        raise DomainError(_("You have already left several messages; we will contact you soon."))
    content = "\n".join(
        [
            text,
            "",
            _(
                "Left through the chat widget of %(inbox)s while nobody was on duty; "
                "the contact given is on the customer's record."
            )
            % {"inbox": inbox.name},
        ]
    )
    actor = widget_service_user()
    with transaction.atomic():
        customer_id = _customer_for_contact(
            visitor=visitor, name=name, contact=contact, actor=actor
        )
        return create_ticket(
            actor=actor,
            type=TicketType.CONSULTATION,
            channel=Channel.WEB_CHAT,
            subject=_("Message from %(name)s (web chat)") % {"name": name},
            content=content,
            customer_id=customer_id,
            complainant=name,
        )


def _customer_for_contact(*, visitor: Visitor, name: str, contact: str, actor: User) -> int:
    """The customer the message belongs to, holding the contact as one of their identities: a
    contact is personal data, masked by role on the customer's record, and never written into the
    ticket's text (where every reader would see it in full).

    A verified visitor's customer gets the contact (or, when another customer owns it, the two
    are proposed as duplicates); an anonymous visitor's message goes to the customer who owns the
    contact, else to a new customer with the name and contact given. The visitor stays anonymous:
    only the site's signed claim links a visitor to a customer."""
    if "@" in contact:
        kind = IdentityKind.EMAIL
    else:
        try:
            normalise_mobile(contact)
            kind = IdentityKind.MOBILE
        except InvalidIdentity:
            kind = IdentityKind.PHONE
    owned = ContactIdentity.objects.filter(kind=kind, value=contact).select_related("customer")
    owner = owned.first()
    owner_id = (owner.customer.merged_into_id or owner.customer_id) if owner else None
    if visitor.customer is not None:
        if owner is None:
            profiles.update_customer(
                actor=actor,
                customer=visitor.customer,
                contacts=profiles.ContactPoints({kind: [contact]}),
            )
        elif owner_id != visitor.customer_id:
            profiles.propose_duplicate(
                customer=visitor.customer,
                other=owner.customer,
                reason=_("The same contact was left through the chat widget."),
            )
        return visitor.customer.pk
    if owner_id is not None:
        return owner_id
    customer = profiles.create_customer(
        actor=actor, name=name, contacts=profiles.ContactPoints({kind: [contact]})
    )
    return customer.pk


FEEDBACK_PER_VISITOR_PER_HOUR = 5


def leave_feedback(
    *, visitor: Visitor, name, contact, category, title, steps, version, device
) -> FeedbackReport:
    """The widget's feedback form 反馈/BUG: a report on the development department's list, with the
    visitor's customer (the site's signed claim) or the owner of the contact given, else a new
    customer; so the result can be told back. At most FEEDBACK_PER_VISITOR_PER_HOUR per visitor and
    hour; a refused form stores nothing."""
    from kefu.feedback import services as feedback  # the feedback app uses this app's services

    def text(value) -> str:
        return value if isinstance(value, str) else ""

    name = _clean_text(
        name,
        limit=OFFLINE_NAME_MAX,
        empty_message=_("Please tell us your name."),
        long_message=_("The name is too long: at most %(limit)d characters."),
    )
    if visitor.customer is None:
        contact = _clean_contact(contact)
    category = text(category) or "bug"
    counter = f"kefu:widget-feedback:{visitor.token_id}"
    cache.add(counter, 0, timeout=3600)
    if cache.incr(counter) > FEEDBACK_PER_VISITOR_PER_HOUR:
        raise DomainError(_("You have already sent several reports; thank you, we are on it."))
    actor = widget_service_user()
    with transaction.atomic():
        if visitor.customer is not None:
            customer = visitor.customer
        else:
            customer = feedback.customer_for_contact(
                actor=actor,
                name=name,
                mobile="" if "@" in contact else contact,
                email=contact if "@" in contact else "",
            )
        report, _created = feedback.record_incoming_report(
            service_user=actor,
            customer=customer,
            channel=ReportChannel.WIDGET,
            category=category,
            severity="normal",
            title=text(title),
            steps=text(steps),
            device=text(device)[:100],
            app_version=text(version),
        )
    return report
