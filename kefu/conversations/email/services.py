"""E-mail inboxes: fetch customers' mails over IMAP into conversations, send agents' replies by SMTP.

Threading, in this order (a mail never opens a new conversation when it answers a known one):
1. In-Reply-To, then References (nearest first), against the Message-IDs stored for this inbox's mails,
   received and sent (MailRecord): the answer joins that conversation.
2. A ticket number in the subject (`[TS20261123-0001]`, which ticket replies put there,
   kefu/tickets/services/replies.py): the conversation of this inbox that already carries that number,
   else a new conversation for the ticket's customer. Either way the answer is also written on the
   ticket's history (timeline kind `tickets.customer_email`), so whoever works the ticket sees it.
3. Otherwise a new conversation of the sender (a visitor per address; the customer found by the
   e-mail identity, or created).
A closed conversation that receives an answer is reopened (back in the queue).

Anyone who knows a Message-ID or a ticket number can answer a thread. A threaded mail whose sender
is none of the conversation's addresses (its visitor's, its customer's e-mail identities; for a
ticket number, the ticket customer's) is stored as that conversation's message marked "unverified
sender" (MailRecord.sender_verified False; agents see 未验证的发件人), and does nothing by itself:
a closed conversation is not reopened (the mail starts a conversation of its own sender instead),
the ticket's history is not written and no customer is taken over from the ticket.

The same mail fetched twice is stored once: the Message-ID is looked up first, is unique per inbox
in MailRecord, and is the message's idempotency key (hashed when longer than a key may be). A mail
without a Message-ID gets one derived from its bytes.

Attachments are checked by kefu.core.uploads (content, not name); refused ones are listed in the
message and on the MailRecord, never stored. Nothing from a mail is ever executed or rendered raw.

An agent's reply is sent after commit, in a Huey worker (subscribers.py, tasks.py): its MailRecord
is made first (state `sending`), then attempted; a temporary failure is tried again after
RETRY_DELAYS, a permanent one (a refused login, a 5xx answer) or the last attempt marks it
`failed`, posts an internal note and notifies the agent, who may resend it (resend_email_reply).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import imaplib
import logging
import smtplib
from email.utils import make_msgid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.email.connection import (
    POLL_TIMEOUT_SECONDS,
    MailFailure,
    classify_mail_error,
    open_imap,
)
from kefu.conversations.email.parsing import ParsedMail, parse_mail
from kefu.conversations.events import EmailReplyStateChanged
from kefu.conversations.models import (
    ChannelKind,
    Conversation,
    Inbox,
    MailAttachment,
    MailDirection,
    MailRecord,
    MailSendState,
    MailSettings,
    Message,
    SenderKind,
    Visitor,
)
from kefu.conversations.services.messages import (
    MAX_BODY_CHARS,
    ConversationClosedError,
    post_message,
)
from kefu.core import timeline
from kefu.core.errors import DomainError, NotFound, PermissionRefused
from kefu.core.events import emit
from kefu.core.uploads import inspect_upload, storage_path

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 20
MAX_REFERENCES = 20


def mail_key(mail_id: str) -> str:
    """The idempotency key of a mail's message: its Message-ID, hashed when too long for a key."""
    if len(mail_id) <= 64 and mail_id.isprintable():
        return mail_id
    return "mail:" + hashlib.sha256(mail_id.encode()).hexdigest()[:59]


# Receiving ---------------------------------------------------------------------------------------


def _sender_visitor(inbox: Inbox, parsed: ParsedMail) -> Visitor:
    from kefu.customers.identities import InvalidIdentity, normalise_email
    from kefu.customers.models import IdentityKind
    from kefu.customers.selectors import find_by_identity
    from kefu.customers.services.profiles import create_customer

    try:
        address = normalise_email(parsed.from_address)
    except InvalidIdentity:
        address = ""
    if not address:
        raise DomainError(_("The e-mail has no valid sender address."))
    visitor = (
        Visitor.objects.filter(inbox=inbox, external_id=f"mailto:{address}")
        .select_related("customer")
        .first()
    )
    if visitor is not None and visitor.customer_id is not None:
        return visitor
    customer = find_by_identity(IdentityKind.EMAIL, address)
    if customer is None:
        customer = create_customer(
            actor=None, name=parsed.from_name or address.split("@")[0], email=address
        )
    if visitor is None:
        visitor, _created = Visitor.objects.get_or_create(
            inbox=inbox,
            external_id=f"mailto:{address}",
            defaults={"name": parsed.from_name or address, "customer": customer},
        )
    if visitor.customer_id is None:
        visitor.customer = customer
        visitor.save(update_fields=["customer"])
    return visitor


def _threaded_conversation(inbox: Inbox, parsed: ParsedMail) -> Conversation | None:
    ids = parsed.thread_ids
    if ids:
        records = {
            r.mail_id: r
            for r in MailRecord.objects.filter(inbox=inbox, mail_id__in=ids).select_related(
                "conversation"
            )
        }
        for mail_id in ids:
            if mail_id in records:
                return records[mail_id].conversation
    if parsed.ticket_number:
        record = (
            MailRecord.objects.filter(inbox=inbox, ticket_number=parsed.ticket_number)
            .select_related("conversation")
            .order_by("-id")
            .first()
        )
        if record is not None:
            return record.conversation
    return None


def _ticket(parsed: ParsedMail):
    if not parsed.ticket_number:
        return None
    from kefu.tickets.models import Ticket

    return Ticket.objects.filter(number=parsed.ticket_number).select_related("customer").first()


def _body(parsed: ParsedMail, refused: list[dict]) -> str:
    notes = [_("Attachment not kept: %(name)s (%(reason)s)") % r for r in refused]
    text = parsed.text or ("" if notes else _("(no text)"))
    tail = "\n\n" + "\n".join(notes) if notes else ""
    room = MAX_BODY_CHARS - len(tail)
    if len(text) > room:
        text = text[: room - 1] + "…"
    return (text + tail).strip()


def _check_attachments(parsed: ParsedMail) -> tuple[list[tuple], list[dict]]:
    accepted, refused = [], []
    for index, attachment in enumerate(parsed.attachments):
        upload = ContentFile(attachment.data, name=attachment.name)
        if index >= MAX_ATTACHMENTS:
            refused.append({"name": attachment.name, "reason": _("too many attachments")})
            continue
        try:
            accepted.append((upload, inspect_upload(upload)))
        except DomainError as error:
            refused.append({"name": attachment.name[:120], "reason": str(error)})
    return accepted, refused


def _is_loop(inbox: Inbox, parsed: ParsedMail) -> bool:
    """Our own mail coming back (a copy to ourselves, a bounce loop) is not a customer's message."""
    config = MailSettings.objects.filter(inbox=inbox).only("address").first()
    return (
        config is not None and parsed.from_address.strip().lower() == config.address.strip().lower()
    )


def receive_mail(inbox: Inbox, raw: bytes) -> Message | None:
    """Store one fetched mail as a customer's message (once, however often it is fetched). Mail
    from the inbox's own address is ignored (None): answering it would start a loop."""
    parsed = parse_mail(raw)
    if _is_loop(inbox, parsed):
        logger.info("inbox %s: ignored a mail from its own address", inbox.pk)
        return None
    existing = MailRecord.objects.filter(
        inbox=inbox, direction=MailDirection.IN, mail_id=parsed.message_id
    ).first()
    if existing is not None and existing.message is not None:
        return existing.message
    accepted, refused = _check_attachments(parsed)
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            message = _store_mail(inbox, parsed, accepted, refused, stored_files)
    except IntegrityError:  # the same mail stored by a concurrent poll
        for name in stored_files:
            default_storage.delete(name)
        existing = MailRecord.objects.filter(
            inbox=inbox, direction=MailDirection.IN, mail_id=parsed.message_id
        ).first()
        if existing is None or existing.message is None:
            raise
        return existing.message
    except Exception:
        for name in stored_files:
            default_storage.delete(name)
        raise
    return message


def _known_sender(address: str, *, visitor_ids=(), customer_id: int | None) -> bool:
    """Whether `address` (normalised) is one of these visitors' addresses or this customer's
    e-mail identities."""
    from kefu.customers.models import ContactIdentity, IdentityKind

    if not address:
        return False
    if Visitor.objects.filter(pk__in=visitor_ids, external_id=f"mailto:{address}").exists():
        return True
    return (
        customer_id is not None
        and ContactIdentity.objects.filter(
            customer_id=customer_id, kind=IdentityKind.EMAIL, value=address
        ).exists()
    )


def _sender_address(parsed: ParsedMail) -> str:
    from kefu.customers.identities import InvalidIdentity, normalise_email

    try:
        return normalise_email(parsed.from_address)
    except InvalidIdentity:
        return ""


def _store_mail(inbox, parsed, accepted, refused, stored_files) -> Message:
    from kefu.conversations.services.lifecycle import reopen_conversation, start_conversation

    visitor = _sender_visitor(inbox, parsed)
    address = _sender_address(parsed)
    ticket = _ticket(parsed)
    conversation = _threaded_conversation(inbox, parsed)
    verified = True
    if conversation is not None:
        verified = _known_sender(
            address, visitor_ids=[conversation.visitor_id], customer_id=conversation.customer_id
        )
    elif ticket is not None:
        verified = _known_sender(address, customer_id=ticket.customer_id)
    if not verified:
        logger.info("inbox %s: a mail from an address the thread does not know", inbox.pk)
    if conversation is not None and conversation.is_closed and not verified:
        conversation = None  # an unknown sender never reopens someone's conversation
    if conversation is None:
        conversation = start_conversation(visitor=visitor, reuse_active=False)
        if (
            verified
            and ticket is not None
            and ticket.customer_id
            and conversation.customer_id != ticket.customer_id
        ):
            conversation.customer_id = ticket.customer_id
            conversation.save(update_fields=["customer"])
    elif conversation.is_closed:
        reopen_conversation(conversation=conversation)
    message = post_message(
        conversation=conversation,
        sender=SenderKind.VISITOR,
        body=_body(parsed, refused),
        client_key=mail_key(parsed.message_id),
    )
    MailRecord.objects.create(
        inbox=inbox,
        conversation=conversation,
        message=message,
        direction=MailDirection.IN,
        mail_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references[-MAX_REFERENCES:]),
        subject=parsed.subject,
        address=parsed.from_address[:254],
        ticket_number=parsed.ticket_number if ticket and verified else "",
        html=parsed.html,
        refused_attachments=refused,
        sender_verified=verified,
    )
    for upload, inspected in accepted:
        name = default_storage.save(storage_path("mail", inspected), upload)
        stored_files.append(name)
        MailAttachment.objects.create(
            conversation=conversation,
            message=message,
            file=name,
            name=inspected.name,
            content_type=inspected.kind.content_type,
            size=inspected.size,
        )
    if ticket is not None and verified:  # an unknown sender writes nothing on the ticket
        timeline.record(
            subject=ticket,
            customer_id=ticket.customer_id or conversation.customer_id,
            kind="tickets.customer_email",
            summary=_("%(number)s: the customer answered by e-mail: %(body)s")
            % {"number": ticket.number, "body": message.body[:200]},
            data={"conversation_id": conversation.pk, "message_id": message.pk},
        )
    return message


def poll_inbox(inbox: Inbox) -> int:
    """Fetch the unseen mails of the inbox's IMAP folder, store each, then mark it seen. Mails are
    read with BODY.PEEK[] so that one which could not be stored stays unseen for the next poll.
    Returns how many mails were stored (or found already stored). The outcome is kept on the
    settings for the settings page: the time of a success, or why it failed (then re-raised)."""
    config: MailSettings = inbox.mail
    try:
        count = _fetch_unseen(inbox, config)
    except Exception as error:
        failure = classify_mail_error(error)
        MailSettings.objects.filter(pk=config.pk).update(
            last_error=failure.problem,
            last_error_detail=failure.detail[:300],
            last_error_at=timezone.now(),
        )
        raise
    MailSettings.objects.filter(pk=config.pk).update(last_polled_at=timezone.now())
    return count


def _fetch_unseen(inbox: Inbox, config: MailSettings) -> int:
    client = open_imap(config, password=config.get_password(), timeout=POLL_TIMEOUT_SECONDS)
    count = 0
    try:
        _status, data = client.uid("SEARCH", "UNSEEN")
        for uid in (data[0] or b"").decode().split():
            _status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched or [] if isinstance(item, tuple)), None)
            if raw is None:
                continue
            try:
                receive_mail(inbox, raw)
            except Exception:
                logger.exception(
                    "inbox %s: mail uid %s could not be stored; it stays unseen",
                    inbox.pk,
                    uid,
                )
                continue
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            count += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return count


def poll_all_inboxes() -> int:
    """Poll every e-mail inbox; one that fails (its reason kept by poll_inbox) does not stop the others."""
    total = 0
    for inbox in Inbox.objects.filter(kind=ChannelKind.EMAIL, mail__isnull=False).select_related(
        "mail"
    ):
        try:
            total += poll_inbox(inbox)
        except (
            OSError,
            imaplib.IMAP4.error,
            DomainError,
        ) as error:  # never the settings: they hold the password
            problem = error.problem if isinstance(error, MailFailure) else type(error).__name__
            logger.warning("inbox %s: fetching mail failed: %s", inbox.pk, problem)
        except Exception:
            logger.exception("inbox %s: fetching mail failed", inbox.pk)
    return total


# Sending -----------------------------------------------------------------------------------------


def _reply_subject(subject: str, ticket_number: str) -> str:
    subject = subject.strip()
    while subject[:3].lower() in ("re:", "回复:") or subject[:3] == "回复：":
        subject = subject[3:].strip()
    if ticket_number and f"[{ticket_number}]" not in subject:
        subject = f"[{ticket_number}] {subject}"
    return f"Re: {subject}" if subject else _("Re: your message")


# Seconds before the 2nd, 3rd, … attempt after a temporary failure (the server down or busy, a 4xx
# answer): about two and a half hours in all. Then the reply is marked failed, an internal note is
# posted and the agent is notified, so that nobody believes the customer has the answer.
RETRY_DELAYS = (60, 300, 1800, 7200)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def prepare_email_reply(*, message: Message) -> MailRecord:
    """The outgoing record of an agent's reply, made once, before the first attempt: the
    Message-ID, recipient (the sender of the customer's latest mail), subject and threading headers
    (In-Reply-To, References with the thread's Message-IDs) that every attempt sends, so a retry or
    a resend is the same mail and the customer's answer threads back. Missing mail settings or a
    customer who never wrote by e-mail are found by the attempt, which reports them."""
    sent = MailRecord.objects.filter(message=message, direction=MailDirection.OUT).first()
    if sent is not None:
        return sent
    conversation = message.conversation
    inbox = conversation.inbox
    config = MailSettings.objects.filter(inbox=inbox).first()
    # Replies that never left are no part of the thread the customer knows.
    records = list(
        conversation.mails.filter(
            Q(direction=MailDirection.IN) | Q(send_state=MailSendState.SENT)
        ).order_by("id")
    )
    received = [r for r in records if r.direction == MailDirection.IN]
    last = received[-1] if received else None
    ticket_number = next((r.ticket_number for r in reversed(records) if r.ticket_number), "")
    references: list[str] = []
    for record in records:
        for mail_id in [*record.references.split(), record.mail_id]:
            if mail_id not in references:
                references.append(mail_id)
    references = references[-MAX_REFERENCES:]
    domain = config.address.rpartition("@")[2] if config is not None else ""
    subject = _reply_subject(received[0].subject if received else "", ticket_number)
    return MailRecord.objects.create(
        inbox=inbox,
        conversation=conversation,
        message=message,
        direction=MailDirection.OUT,
        mail_id=make_msgid(domain=domain or "kefu.invalid"),
        in_reply_to=last.mail_id if last else "",
        references=" ".join(references),
        subject=subject[:255],
        address=last.address if last else "",
        ticket_number=ticket_number,
        send_state=MailSendState.SENDING,
    )


def _reply_message(record: MailRecord) -> Message:
    """The agent's message an outgoing reply carries (an outgoing record always has one)."""
    assert record.message is not None, record.pk
    return record.message


def _deliver(record: MailRecord) -> None:
    """Hand the reply of `record` to the inbox's SMTP server; raises what went wrong."""
    config = MailSettings.objects.filter(inbox_id=record.inbox_id).first()
    if config is None:
        raise DomainError(_("This inbox has no mail server settings."))
    if not record.address:
        raise DomainError(_("The customer has not written by e-mail in this conversation."))
    headers = {"Message-ID": record.mail_id, "References": record.references}
    if record.in_reply_to:
        headers["In-Reply-To"] = record.in_reply_to
    if record.ticket_number:
        headers["X-Kefu-Ticket"] = record.ticket_number
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=config.smtp_host,
        port=config.smtp_port,
        username=config.username,
        password=config.get_password(),
        use_ssl=config.smtp_ssl,
        use_tls=config.smtp_starttls and not config.smtp_ssl,
        timeout=30,
        fail_silently=False,
    )
    EmailMessage(
        subject=record.subject,
        body=_reply_message(record).body,
        from_email=config.address,
        to=[record.address],
        headers=headers,
        connection=connection,
    ).send(fail_silently=False)


def describe_failure(error: Exception, *, secret: str = "") -> tuple[bool, str]:
    """(whether another attempt may succeed, why it failed in words for the agent), as
    connection.classify_mail_error decides: 4xx answers and servers that cannot be reached are
    temporary; 5xx answers, a refused login and settings the server does not support are not:
    retrying them only delays the agent's finding out. Never the password in the text."""
    if isinstance(error, DomainError) and not isinstance(error, MailFailure):
        return False, error.message
    failure = classify_mail_error(error, secret=secret)
    return failure.temporary, failure.message


def attempt_email_reply(*, record_id: int, attempt: int) -> int | None:
    """Attempt number `attempt` (1, 2, …) at sending the reply of `record_id`. Returns the seconds to
    wait before the next attempt when a temporary failure leaves attempts, else None (sent, given
    up, or this attempt already made). The attempt is claimed first, the counter compared and raised
    in one UPDATE, so one attempt never runs twice (a task delivered again, a resend racing a retry);
    no lock is held while the SMTP server answers."""
    claimed = MailRecord.objects.filter(
        pk=record_id,
        direction=MailDirection.OUT,
        send_state=MailSendState.SENDING,
        attempts=attempt - 1,
    ).update(attempts=attempt, attempted_at=timezone.now())
    if not claimed:
        return None
    record = MailRecord.objects.select_related("message", "conversation").get(pk=record_id)
    try:
        _deliver(record)
    except (
        Exception
    ) as error:  # every failure is told to the agent; none may lose the reply silently
        retry, reason = describe_failure(error)
        expected = isinstance(error, smtplib.SMTPException | OSError | DomainError)
        logger.warning(
            "e-mail reply %s: attempt %d of %d failed (%s)",
            record.pk,
            attempt,
            MAX_ATTEMPTS,
            type(error).__name__,
            exc_info=not expected,
        )
        if retry and attempt < MAX_ATTEMPTS:
            MailRecord.objects.filter(pk=record.pk).update(last_error=reason[:300])
            return RETRY_DELAYS[attempt - 1]
        give_up_email_reply(record=record, reason=reason)
        return None
    with transaction.atomic():
        MailRecord.objects.filter(pk=record.pk).update(send_state=MailSendState.SENT, last_error="")
        _emit_state(record, MailSendState.SENT)
    return None


# The longest a reply may rightly stay "sending": the longest wait between attempts and an hour for
# the attempt itself and a busy worker.
STALLED_AFTER = dt.timedelta(seconds=max(RETRY_DELAYS) + 3600)


def give_up_stalled_replies(*, now: dt.datetime) -> int:
    """Replies still "sending" long after their latest attempt began: the worker that was to make
    the next attempt died with it (a crash, a restart mid-send). Each is given up like a failed one,
    so the agent is told and can resend, rather than the reply waiting silently for ever."""
    stalled = (
        MailRecord.objects.filter(direction=MailDirection.OUT, send_state=MailSendState.SENDING)
        .filter(
            Q(attempted_at__lt=now - STALLED_AFTER)
            | Q(attempted_at__isnull=True, created_at__lt=now - STALLED_AFTER),
        )
        .select_related("message", "conversation")
    )
    count = 0
    for record in stalled:
        # Claimed first: an attempt finishing at this moment keeps its outcome.
        if MailRecord.objects.filter(
            pk=record.pk, send_state=MailSendState.SENDING, attempts=record.attempts
        ).update(attempted_at=now):
            give_up_email_reply(
                record=record, reason=_("the sending was interrupted (the server restarted?)")
            )
            count += 1
    return count


def _emit_state(record: MailRecord, state: str, reason: str = "") -> None:
    emit(
        EmailReplyStateChanged(
            conversation_id=record.conversation_id,
            message_id=_reply_message(record).pk,
            state=state,
            reason=reason,
            author_id=_reply_message(record).author_id,
            assignee_id=record.conversation.assignee_id,
        )
    )


def give_up_email_reply(*, record: MailRecord, reason: str) -> None:
    """The reply will not be sent: marked failed with `reason`, an internal note in the
    conversation (邮件发送失败：…) and an event that notifies the agent (kefu/notifications)."""
    with transaction.atomic():
        MailRecord.objects.filter(pk=record.pk).update(
            send_state=MailSendState.FAILED, last_error=reason[:300]
        )
        excerpt = " ".join(_reply_message(record).body.split())
        excerpt = excerpt[:40] + "…" if len(excerpt) > 40 else excerpt
        note = _(
            "E-mail not sent: %(reason)s. The reply “%(excerpt)s” did not reach the customer; resend it from "
            "the message once the problem is solved."
        ) % {"reason": reason, "excerpt": excerpt}
        # A closed chat takes no more messages: the reply's mark and the notification still tell.
        with contextlib.suppress(ConversationClosedError):
            post_message(
                conversation=record.conversation,
                sender=SenderKind.SYSTEM,
                body=note,
                is_internal=True,
            )
        _emit_state(record, MailSendState.FAILED, reason)


def resend_email_reply(*, actor: User, conversation: Conversation, message_id: int) -> MailRecord:
    """Send a failed e-mail reply again, from its first attempt: the same mail with the same
    Message-ID (a reply a server took without saying so is then recognisable as one mail). The
    agent serving the conversation or a supervisor may; load `conversation` with
    access_conversation first."""
    from kefu.conversations.states import serving_or_supervisor

    if actor is None or serving_or_supervisor(actor, conversation) is not None:
        raise PermissionRefused(
            _("Only the agent serving this conversation or a supervisor can resend a reply.")
        )
    with transaction.atomic():
        record = (
            MailRecord.objects.select_for_update()
            .select_related("message", "conversation")
            .filter(conversation=conversation, message_id=message_id, direction=MailDirection.OUT)
            .first()
        )
        if record is None:
            raise NotFound(_("This message does not exist."))
        if record.send_state != MailSendState.FAILED:
            raise DomainError(_("Only a reply that could not be sent can be resent."))
        record.send_state, record.attempts, record.attempted_at = (
            MailSendState.SENDING,
            0,
            timezone.now(),
        )
        record.save(update_fields=["send_state", "attempts", "attempted_at"])
        _emit_state(
            record, MailSendState.SENDING
        )  # subscribers.send_resent_reply makes the first attempt
    return record
