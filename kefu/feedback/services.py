"""Writes of feedback and bugs: a customer's report (with screenshots), grouping reports into one
problem, the problem's state set by the development department, and telling every reporter."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator, Sequence

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.conversations.models import SenderKind
from kefu.conversations.services.messages import post_message
from kefu.core import timeline
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.core.uploads import inspect_upload, storage_path
from kefu.customers import identities
from kefu.customers.models import Customer, IdentityKind
from kefu.customers.selectors import find_by_identity
from kefu.customers.services import profiles
from kefu.feedback.events import ProblemOpened, ProblemStateChanged
from kefu.feedback.models import (
    Category,
    FeedbackReport,
    NoticeOutcome,
    Problem,
    ProblemState,
    ReportChannel,
    ReporterNotice,
    Screenshot,
    Severity,
)
from kefu.feedback.states import PROBLEM_FLOW
from kefu.sms.models import SmsMessage, SmsTemplate
from kefu.sms.services import deliver_sms, prepare_sms

MAX_SCREENSHOTS = 5
SMS_TEMPLATE = "feedback_update"  # {name} {title} {result}


def _text(value: str, *, limit: int, required: str | None = None) -> str:
    value = strip_control_characters(value or "").strip()[:limit]
    if required and not value:
        raise DomainError(required)
    return value


def submit_report(
    *,
    actor: User,
    customer: Customer,
    channel: str,
    category: str,
    severity: str,
    title: str,
    steps: str = "",
    device: str = "",
    app_version: str = "",
    conversation_id: int | None = None,
    ticket_id: int | None = None,
    screenshots: Sequence[UploadedFile] = (),
) -> FeedbackReport:
    """A customer's report, as the agent took it down. Screenshots must be images; a refused one
    refuses the whole report and stores nothing."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("Your role may not record feedback."))
    report, _created = _create_report(
        actor=actor,
        customer=customer,
        channel=channel,
        category=category,
        severity=severity,
        title=title,
        steps=steps,
        device=device,
        app_version=app_version,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        screenshots=screenshots,
    )
    return report


def record_incoming_report(
    *,
    service_user: User,
    customer: Customer,
    channel: str,
    category: str,
    severity: str,
    title: str,
    steps: str = "",
    device: str = "",
    app_version: str = "",
    source_id: str = "",
) -> tuple[FeedbackReport, bool]:
    """A report the customer sent themselves: the chat widget's feedback form or another system
    through the signed webhook (the caller authenticated it; `service_user` is the account it is
    recorded under). The same `source_id` again is the same report: (report, False)."""
    source_id = _text(source_id, limit=64)
    if source_id:
        existing = FeedbackReport.objects.filter(source_id=source_id).first()
        if existing is not None:
            return existing, False
    try:
        return _create_report(
            actor=service_user,
            customer=customer,
            channel=channel,
            category=category,
            severity=severity,
            title=title,
            steps=steps,
            device=device,
            app_version=app_version,
            source_id=source_id,
        )
    except IntegrityError:  # the same id posted twice at once: the other request stored it
        existing = FeedbackReport.objects.filter(source_id=source_id).first() if source_id else None
        if existing is None:
            raise
        return existing, False


def _create_report(
    *,
    actor: User,
    customer: Customer,
    channel: str,
    category: str,
    severity: str,
    title: str,
    steps: str = "",
    device: str = "",
    app_version: str = "",
    conversation_id: int | None = None,
    ticket_id: int | None = None,
    screenshots: Sequence[UploadedFile] = (),
    source_id: str = "",
) -> tuple[FeedbackReport, bool]:
    if channel not in ReportChannel.values or category not in Category.values:
        raise DomainError(_("Choose the channel and the category."))
    if severity not in Severity.values:
        raise DomainError(_("Choose the severity."))
    if len(screenshots) > MAX_SCREENSHOTS:
        raise DomainError(_("At most %(n)d screenshots.") % {"n": MAX_SCREENSHOTS})
    inspected = [inspect_upload(upload) for upload in screenshots]
    if any(not i.kind.is_image for i in inspected):
        raise DomainError(_("Screenshots must be images (PNG, JPEG, GIF, WebP)."))
    values = {
        "title": _text(title, limit=200, required=_("Give the problem a short title.")),
        "steps": _text(steps, limit=4000),
        "device": _text(device, limit=100),
        "app_version": _text(app_version, limit=40),
    }
    stored = [
        default_storage.save(storage_path("feedback", i), u)
        for i, u in zip(inspected, screenshots, strict=True)
    ]
    try:
        with transaction.atomic():
            report = FeedbackReport.objects.create(
                customer=customer,
                channel=channel,
                category=category,
                severity=severity,
                conversation_id=conversation_id,
                ticket_id=ticket_id,
                created_by=actor,
                source_id=source_id,
                **values,
            )
            for path, info in zip(stored, inspected, strict=True):
                Screenshot.objects.create(
                    report=report,
                    file=path,
                    name=info.name,
                    content_type=info.kind.content_type,
                    size=info.size,
                )
            timeline.record(
                subject=report,
                customer_id=customer.pk,
                kind="feedback.reported",
                actor=actor,
                summary=_("Feedback: %(title)s") % {"title": report.title},
            )
    except Exception:
        for path in stored:
            default_storage.delete(path)
        raise
    return report, True


@transaction.atomic
def group_report(
    *, actor: User, report_id: int, problem_id: int | None = None, title: str = ""
) -> Problem:
    """Put a report into an open problem, or make a new problem of it (with `title`, or the
    report's own)."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("Your role may not group feedback."))
    report = FeedbackReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise DomainError(_("This report does not exist (any more)."))
    if report.problem_id is not None:
        raise Conflict(
            _("This report is already grouped into problem #%(id)d.") % {"id": report.problem_id}
        )
    if problem_id:
        problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
        if problem is None:
            raise DomainError(_("This problem does not exist (any more)."))
        if problem.state not in (ProblemState.OPEN, ProblemState.CONFIRMED):
            raise DomainError(_("The problem is closed; make a new one for this report."))
    else:
        problem = Problem.objects.create(
            title=_text(title, limit=200) or report.title,
            category=report.category,
            severity=report.severity,
            created_by=actor,
        )
        emit(ProblemOpened(problem_id=problem.pk, opened_by_id=actor.pk))
    report.problem = problem
    report.save(update_fields=["problem"])
    timeline.record(
        subject=report,
        customer_id=report.customer_id,
        kind="feedback.grouped",
        actor=actor,
        is_internal=True,
        summary=_("Feedback grouped into problem #%(id)d") % {"id": problem.pk},
    )
    return problem


@transaction.atomic
def change_problem_state(
    *,
    actor: User,
    problem_id: int,
    move: str,
    fixed_version: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Problem:
    """confirm, fix (in a version) or wont_fix (with a reason). Final states are final: a second
    close is refused and changes nothing. Every reporter is told after commit."""
    problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None:
        raise DomainError(_("This problem does not exist (any more)."))
    transition = PROBLEM_FLOW.check(problem.state, move, actor=actor, obj=problem)
    if expected_version is not None and expected_version != problem.version:
        raise Conflict(_("Someone changed this problem meanwhile; look at it again."))
    if move == "fix":
        problem.fixed_version = _text(
            fixed_version, limit=40, required=_("Give the version that fixes it.")
        )
    if move == "wont_fix":
        problem.resolution_note = _text(
            note, limit=300, required=_("Say why it will not be fixed; the customers are told.")
        )
    elif note:
        problem.resolution_note = _text(note, limit=300)
    problem.state = str(transition.target)
    problem.state_changed_at = timezone.now()
    problem.version += 1
    problem.save()
    emit(ProblemStateChanged(problem_id=problem.pk, state=problem.state, changed_by_id=actor.pk))
    return problem


def result_text(problem: Problem) -> str:
    if problem.state == ProblemState.FIXED:
        return _("fixed in version %(version)s") % {"version": problem.fixed_version}
    if problem.state == ProblemState.WONT_FIX:
        return _("it will not be changed: %(note)s") % {"note": problem.resolution_note}
    return _("confirmed by our developers, who are working on it")


# Reporters told per task: one transaction records their notices, timeline entries and SMS, then
# the same task sends them.
NOTICE_BATCH = 500


def notice_text(report: FeedbackReport, problem: Problem) -> str:
    return _("About your feedback “%(title)s”: %(result)s.") % {
        "title": report.title,
        "result": result_text(problem),
    }


def tell_reporters(*, problem_id: int) -> int:
    """Tell every reporter of the problem its current state, NOTICE_BATCH reporters per task
    (feedback.tasks.tell_reporters_batch); returns how many reporters were handed to the tasks now
    (0 when everyone has been told of this state)."""
    from kefu.feedback.tasks import tell_reporters_batch

    queued = 0
    for report_ids in notice_batches(problem_id=problem_id):
        tell_reporters_batch(problem_id, report_ids)
        queued += len(report_ids)
    return queued


def notice_batches(*, problem_id: int) -> Iterator[list[int]]:
    """The ids of the problem's reports not yet told of its current state, NOTICE_BATCH at a
    time."""
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return
    ids = list(
        FeedbackReport.objects.filter(problem=problem)
        .exclude(notices__state=problem.state)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for first in range(0, len(ids), NOTICE_BATCH):
        yield ids[first : first + NOTICE_BATCH]


def record_notices(*, problem_id: int, report_ids: Sequence[int]) -> list[ReporterNotice]:
    """One transaction for a batch of reporters: the notice of the problem's current state for
    each one not yet told of it, the entry on their timeline and the SMS to send (stored `queued`),
    all written in bulk. The way is the channel they used: the chat when there is one; a ticket's
    by e-mail, else SMS; the others by SMS, else e-mail; neither: the timeline only. A repeated
    call (a retried task) records nothing for those already recorded."""
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return []
    templates: dict[str, SmsTemplate | None] = {}
    with transaction.atomic():
        reports = list(
            FeedbackReport.objects.filter(problem=problem, pk__in=list(report_ids))
            .exclude(notices__state=problem.state)
            .select_related("customer")
            .order_by("id")
        )
        notices, entries = [], []
        for report in reports:
            outcome, sms, detail = _way(report, problem, templates)
            notices.append(
                ReporterNotice(
                    report=report,
                    state=problem.state,
                    outcome=outcome,
                    detail=detail,
                    pending=outcome != NoticeOutcome.TIMELINE,
                    sms=sms,
                )
            )
            entries.append(
                timeline.unsaved_entry(
                    subject=report,
                    customer_id=report.customer_id,
                    kind="feedback.told",
                    summary=notice_text(report, problem),
                    data={"problem_id": problem.pk, "state": problem.state},
                )
            )
        SmsMessage.objects.bulk_create([n.sms for n in notices if n.sms is not None])
        ReporterNotice.objects.bulk_create(notices)
        timeline.record_many(entries)
    return notices


def _way(
    report: FeedbackReport, problem: Problem, templates: dict[str, SmsTemplate | None]
) -> tuple[str, SmsMessage | None, str]:
    """How one reporter is told: (outcome, the unsaved queued SMS when by SMS, refusals met)."""
    if report.channel == ReportChannel.CHAT and report.conversation_id is not None:
        return NoticeOutcome.CHAT, None, ""
    # A ticket is answered by e-mail (as tickets.services.replies does), the others by SMS; the
    # other way when that one is missing or refused (a widget form may leave only an e-mail).
    ways = [NoticeOutcome.SMS, NoticeOutcome.EMAIL]
    if report.channel == ReportChannel.TICKET:
        ways.reverse()
    refusals: list[str] = []
    for way in ways:
        if way == NoticeOutcome.EMAIL and report.customer.email:
            return way, None, " ".join(refusals)[:300]
        if way == NoticeOutcome.SMS and report.customer.mobile:
            try:
                return way, _sms(report, problem, templates), ""
            except DomainError as refusal:
                refusals.append(str(refusal.message))
    return NoticeOutcome.TIMELINE, None, " ".join(refusals)[:300]


def _sms(
    report: FeedbackReport, problem: Problem, templates: dict[str, SmsTemplate | None]
) -> SmsMessage:
    return prepare_sms(
        report.customer.mobile,
        SMS_TEMPLATE,
        {"name": report.customer.name, "title": report.title[:20], "result": result_text(problem)},
        customer=report.customer,
        templates=templates,
    )


def send_notices(*, problem_id: int, report_ids: Sequence[int]) -> int:
    """Send the batch's recorded notices that are still pending: each is taken (pending cleared) in
    one transaction first, so a repeated call sends none of them again; a process that dies after
    that leaves them unsent rather than sent twice. Returns how many were sent (or tried)."""
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0
    with transaction.atomic():
        taken = list(
            ReporterNotice.objects.select_for_update(skip_locked=True)
            .filter(report_id__in=list(report_ids), state=problem.state, pending=True)
            .values_list("pk", flat=True)
        )
        ReporterNotice.objects.filter(pk__in=taken).update(pending=False)
    notices = (
        ReporterNotice.objects.filter(pk__in=taken)
        .select_related("report__customer", "report__conversation", "report__ticket", "sms")
        .order_by("id")
    )
    templates: dict[str, SmsTemplate | None] = {}
    with get_connection() as mail_connection:
        for notice in notices:
            report = notice.report
            if notice.outcome == NoticeOutcome.CHAT and report.conversation is not None:
                post_message(
                    conversation=report.conversation,
                    sender=SenderKind.SYSTEM,
                    body=notice_text(report, problem),
                    client_key=f"feedback-notice-{notice.pk}",
                )
            elif notice.outcome == NoticeOutcome.SMS and notice.sms is not None:
                deliver_sms(notice.sms, templates=templates)
            elif notice.outcome == NoticeOutcome.EMAIL:
                _send_email_notice(notice, problem, mail_connection, templates)
    return len(taken)


def _send_email_notice(
    notice: ReporterNotice,
    problem: Problem,
    connection: BaseEmailBackend,
    templates: dict[str, SmsTemplate | None],
) -> None:
    """The e-mail to the reporter (a ticket's number in the subject threads an answer back to it);
    refused by the mail server: an SMS instead when they have a mobile."""
    report = notice.report
    subject = _("About your feedback: %(title)s") % {"title": report.title[:60]}
    if report.ticket_id and report.ticket is not None:
        subject = f"[{report.ticket.number}] {subject}"
    message = EmailMessage(
        subject=subject,
        body=notice_text(report, problem),
        to=[report.customer.email],
        connection=connection,
    )
    try:
        message.send(fail_silently=False)
        return
    except (OSError, smtplib.SMTPException) as error:
        detail = _("The e-mail could not be sent (%(error)s).") % {"error": type(error).__name__}
    outcome, sms = NoticeOutcome.TIMELINE, None
    if report.customer.mobile:
        try:
            sms = _sms(report, problem, templates)
        except DomainError as refusal:
            detail = f"{detail} {refusal.message}"
        else:
            sms.save()
            deliver_sms(sms, templates=templates)
            outcome = NoticeOutcome.SMS
    ReporterNotice.objects.filter(pk=notice.pk).update(
        outcome=outcome, detail=detail[:300], sms=sms
    )


WEBHOOK_SERVICE_USERNAME = "kefu-feedback-webhook"


def webhook_service_user() -> User:
    """The account reports posted to the webhook are recorded under: no password, no role's rights
    beyond an agent's, nobody's personal action."""
    user, created = User.objects.get_or_create(
        username=WEBHOOK_SERVICE_USERNAME,
        defaults={"role": Role.AGENT, "display_name": _("Feedback webhook"), "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def customer_for_contact(*, actor: User, name: str, mobile: str = "", email: str = "") -> Customer:
    """The customer a self-sent report belongs to: the owner of the mobile, else of the e-mail
    address, else a new customer with the name and the contacts given (so they can be told)."""
    contacts: dict[str, list[str]] = {}
    try:
        if mobile:
            contacts[IdentityKind.MOBILE] = [identities.normalise_mobile(mobile)]
        if email:
            contacts[IdentityKind.EMAIL] = [identities.normalise_email(email)]
    except identities.InvalidIdentity as error:
        raise DomainError(str(error)) from None
    if not contacts:
        raise DomainError(
            _("Give a mobile number or an e-mail address so we can tell you the result.")
        )
    for kind, values in contacts.items():
        found = find_by_identity(kind, values[0])
        if found is not None:
            return Customer.objects.get(pk=found.merged_into_id or found.pk)
    name = _text(name, limit=60, required=_("Please tell us your name."))
    return profiles.create_customer(
        actor=actor, name=name, contacts=profiles.ContactPoints(contacts)
    )
