"""Writes of work orders 派工单: creating one (from a ticket, a call, a chat or directly), the
technician's progress, rescheduling, reassignment, cancellation, photos and the return visit.

Each write runs in a transaction, checks WORK_ORDER_FLOW, writes the order and the customer's
timeline together and emits its event after commit. SMS go out from the event's subscriber
(kefu/dispatch/subscribers.py), never inside the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.core import timeline
from kefu.core.business_calendar import BusinessCalendar, WorkingHours
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.core.uploads import inspect_upload, storage_path
from kefu.customers.models import Customer
from kefu.dispatch import selectors
from kefu.dispatch.events import WorkOrderAssigned, WorkOrderLate, WorkOrderProgressed
from kefu.dispatch.models import OPEN_STATES, Source, WorkOrder, WorkOrderPhoto, WorkOrderState
from kefu.dispatch.states import WORK_ORDER_FLOW
from kefu.tickets.services.sla import return_visit_due

# Technicians go out between 08:00 and 20:00 on working days of the business calendar.
FIELD_HOURS = WorkingHours(start=dt.time(8, 0), end=dt.time(20, 0))
# Completion is due this much working time after the appointment window ends.
COMPLETION_LIMIT = dt.timedelta(hours=4)
MAX_PHOTOS = 12


def field_calendar() -> BusinessCalendar:
    return BusinessCalendar(FIELD_HOURS)


def technicians() -> QuerySet[User]:
    """Who may be sent: active department users (Perm.WORK_ROUTED_TASKS)."""
    return User.objects.filter(role=Role.DEPARTMENT_STAFF, is_active=True).order_by(
        "display_name", "id"
    )


def _technician(technician_id: int) -> User:
    technician = technicians().filter(pk=technician_id).first()
    if technician is None:
        raise DomainError(_("Choose a technician: an active member of a department."))
    return technician


def check_appointment(
    start: dt.datetime | None, end: dt.datetime | None, *, now: dt.datetime | None = None
) -> None:
    """The window must be in the future, on one working day, within the field hours."""
    if start is None or end is None:
        raise DomainError(_("Give the appointment's start and end."))
    now = now or timezone.now()
    if start < now:
        raise DomainError(_("The appointment cannot start in the past."))
    if end <= start:
        raise DomainError(_("The appointment must end after it starts."))
    calendar = field_calendar()
    local_start, local_end = start.astimezone(calendar.tz), end.astimezone(calendar.tz)
    if (
        not calendar.is_working_time(local_start)
        or local_end.date() != local_start.date()
        or local_end.time() > FIELD_HOURS.end
    ):
        raise DomainError(
            _(
                "The appointment must be on a working day between %(start)s and %(end)s "
                "(holidays and weekends are off)."
            )
            % {"start": f"{FIELD_HOURS.start:%H:%M}", "end": f"{FIELD_HOURS.end:%H:%M}"}
        )


def _limits(order: WorkOrder) -> None:
    order.arrival_due_at = order.appointment_end
    order.completion_due_at = field_calendar().add_working_time(
        order.appointment_end, COMPLETION_LIMIT
    )
    order.late_arrival_warned_at = None
    order.overdue_warned_at = None


def _text(value: str, *, limit: int, required: str | None = None) -> str:
    value = strip_control_characters(value or "").strip()[:limit]
    if required and not value:
        raise DomainError(required)
    return value


def _record(
    order: WorkOrder, *, actor: User | None, summary: str, kind: str, **data: object
) -> None:
    timeline.record(
        subject=order,
        customer_id=order.customer_id,
        kind=kind,
        actor=actor,
        summary=f"{order.number}: {summary}",
        data={"work_order_id": order.pk, **data},
    )


@dataclass(frozen=True)
class Origin:
    """What the order is created from: at most one of a ticket, a call or a chat."""

    ticket_id: int | None = None
    call_id: int | None = None
    conversation_id: int | None = None

    @property
    def source(self) -> str:
        if self.ticket_id:
            return Source.TICKET
        if self.call_id:
            return Source.CALL
        if self.conversation_id:
            return Source.CHAT
        return Source.DIRECT


@transaction.atomic
def create_work_order(
    *,
    actor: User,
    customer: Customer,
    address: str,
    problem: str,
    appointment_start: dt.datetime,
    appointment_end: dt.datetime,
    technician_id: int,
    area: str = "",
    skills: str = "",
    materials: str = "",
    contact_mobile: str = "",
    origin: Origin | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """A work order for `customer`, given to a technician. The caller has loaded the customer and
    the origin through their access_* selectors."""
    if not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("Your role may not create work orders."))
    origin = origin or Origin()
    address = _text(address, limit=200, required=_("Give the address where the technician goes."))
    problem = _text(problem, limit=2000, required=_("Describe the problem to be fixed."))
    check_appointment(appointment_start, appointment_end, now=now)
    technician = _technician(technician_id)
    order = WorkOrder(
        number="",
        customer=customer,
        contact_mobile=_text(contact_mobile, limit=20) or customer.mobile,
        address=address,
        area=_text(area, limit=40),
        problem=problem,
        skills=_text(skills, limit=200),
        materials=_text(materials, limit=1000),
        appointment_start=appointment_start,
        appointment_end=appointment_end,
        technician=technician,
        source=origin.source,
        ticket_id=origin.ticket_id,
        call_id=origin.call_id,
        conversation_id=origin.conversation_id,
        created_by=actor,
    )
    _limits(order)
    order.save()
    local = timezone.localtime(order.created_at)
    order.number = f"PG{local:%Y%m%d}{order.pk:06d}"
    order.save(update_fields=["number"])
    _record(
        order,
        actor=actor,
        kind="dispatch.created",
        summary=_("work order created for %(technician)s, %(start)s–%(end)s")
        % {
            "technician": technician,
            "start": f"{timezone.localtime(appointment_start):%Y-%m-%d %H:%M}",
            "end": f"{timezone.localtime(appointment_end):%H:%M}",
        },
    )
    emit(
        WorkOrderAssigned(
            work_order_id=order.pk,
            technician_id=technician.pk,
            assigned_by_id=actor.pk,
            previous_technician_id=None,
            version=order.version,
        )
    )
    return order


def _locked(order_id: int, expected_version: int | None = None) -> WorkOrder:
    order = WorkOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise DomainError(_("This work order does not exist (any more)."))
    if expected_version is not None and expected_version != order.version:
        raise Conflict(
            _("Someone changed this work order meanwhile; look at it again."),
            current={"state": order.state, "version": order.version},
        )
    return order


def _save(order: WorkOrder, *fields: str) -> None:
    order.version += 1
    order.save(update_fields=["state", "version", *fields])


STEP_TIME = {
    "accept": "accepted_at",
    "set_off": "departed_at",
    "arrive": "arrived_at",
    "complete": "completed_at",
    "fail": "failed_at",
}


@transaction.atomic
def report_progress(
    *,
    actor: User,
    work_order_id: int,
    step: str,
    note: str = "",
    materials_used: str = "",
    confirmed_by: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """One step of the technician's: accept, set_off, arrive, complete (with what was done and the
    customer's confirmation), fail (with the reason). Steps out of order are refused."""
    if step not in STEP_TIME:
        raise DomainError(_("There is no such step."))
    order = _locked(work_order_id, expected_version)
    transition = WORK_ORDER_FLOW.check(order.state, step, actor=actor, obj=order)
    now = now or timezone.now()
    fields = [STEP_TIME[step]]
    if step == "complete":
        order.completion_note = _text(note, limit=2000, required=_("Say what was done."))
        order.materials_used = _text(materials_used, limit=500)
        order.confirmed_by = _text(
            confirmed_by,
            limit=60,
            required=_("The customer confirms the work: give the name of who confirmed it."),
        )
        order.visit_due_at = return_visit_due(now)
        fields += ["completion_note", "materials_used", "confirmed_by", "visit_due_at"]
    if step == "fail":
        order.failure_reason = _text(
            note, limit=300, required=_("Say why the work cannot be done now.")
        )
        fields.append("failure_reason")
    setattr(order, STEP_TIME[step], now)
    order.state = str(transition.target)
    _save(order, *fields)
    summary = str(transition.label)
    if step == "complete":
        summary = _("done, confirmed by %(name)s: %(note)s") % {
            "name": order.confirmed_by,
            "note": order.completion_note,
        }
    elif step == "fail":
        summary = _("not done: %(reason)s") % {"reason": order.failure_reason}
    _record(order, actor=actor, kind=f"dispatch.{step}", summary=summary)
    emit(WorkOrderProgressed(work_order_id=order.pk, state=order.state, actor_id=actor.pk))
    return order


@transaction.atomic
def reschedule_work_order(
    *,
    actor: User,
    work_order_id: int,
    appointment_start: dt.datetime,
    appointment_end: dt.datetime,
    technician_id: int | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """A new appointment (after a failure, or at the customer's request), optionally with another
    technician. The technician accepts again; both are told by SMS."""
    order = _locked(work_order_id, expected_version)
    WORK_ORDER_FLOW.check(order.state, "reschedule", actor=actor, obj=order)
    check_appointment(appointment_start, appointment_end, now=now)
    previous = order.technician_id
    if technician_id:
        order.technician = _technician(technician_id)
    order.appointment_start, order.appointment_end = appointment_start, appointment_end
    _limits(order)
    order.state = WorkOrderState.ASSIGNED
    order.accepted_at = order.departed_at = order.arrived_at = order.failed_at = None
    order.reschedule_count += 1
    _save(
        order,
        "technician",
        "appointment_start",
        "appointment_end",
        "arrival_due_at",
        "completion_due_at",
        "late_arrival_warned_at",
        "overdue_warned_at",
        "accepted_at",
        "departed_at",
        "arrived_at",
        "failed_at",
        "reschedule_count",
    )
    _record(
        order,
        actor=actor,
        kind="dispatch.rescheduled",
        summary=_("rescheduled to %(start)s–%(end)s with %(technician)s")
        % {
            "start": f"{timezone.localtime(appointment_start):%Y-%m-%d %H:%M}",
            "end": f"{timezone.localtime(appointment_end):%H:%M}",
            "technician": order.technician,
        },
    )
    emit(
        WorkOrderAssigned(
            work_order_id=order.pk,
            technician_id=order.technician_id,
            assigned_by_id=actor.pk,
            previous_technician_id=previous if previous != order.technician_id else None,
            version=order.version,
        )
    )
    return order


@transaction.atomic
def reassign_work_order(
    *, actor: User, work_order_id: int, technician_id: int, expected_version: int | None = None
) -> WorkOrder:
    """Give the order to another technician, keeping the appointment; the new one accepts again."""
    order = _locked(work_order_id, expected_version)
    WORK_ORDER_FLOW.check(order.state, "reassign", actor=actor, obj=order)
    technician = _technician(technician_id)
    if technician.pk == order.technician_id:
        raise DomainError(_("The work order is already with %(name)s.") % {"name": technician})
    previous = order.technician_id
    order.technician = technician
    order.state = WorkOrderState.ASSIGNED
    order.accepted_at = order.departed_at = None
    _save(order, "technician", "accepted_at", "departed_at")
    _record(
        order,
        actor=actor,
        kind="dispatch.reassigned",
        summary=_("reassigned to %(technician)s") % {"technician": technician},
    )
    emit(
        WorkOrderAssigned(
            work_order_id=order.pk,
            technician_id=technician.pk,
            assigned_by_id=actor.pk,
            previous_technician_id=previous,
            version=order.version,
        )
    )
    return order


@transaction.atomic
def cancel_work_order(
    *, actor: User, work_order_id: int, reason: str, expected_version: int | None = None
) -> WorkOrder:
    order = _locked(work_order_id, expected_version)
    WORK_ORDER_FLOW.check(order.state, "cancel", actor=actor, obj=order)
    reason = _text(reason, limit=300, required=_("Say why the work order is cancelled."))
    order.state = WorkOrderState.CANCELLED
    order.failure_reason = reason
    _save(order, "failure_reason")
    _record(
        order, actor=actor, kind="dispatch.cancelled", summary=_("cancelled: %(r)s") % {"r": reason}
    )
    emit(WorkOrderProgressed(work_order_id=order.pk, state=order.state, actor_id=actor.pk))
    return order


def add_photo(*, actor: User, work_order_id: int, upload: UploadedFile) -> WorkOrderPhoto:
    """A photo from the site: only images pass (core's upload checks read the content, not the
    name). A refused file stores nothing."""
    order = WorkOrder.objects.filter(pk=work_order_id).first()
    if order is None:
        raise DomainError(_("This work order does not exist (any more)."))
    WORK_ORDER_FLOW.check(order.state, "add_photo", actor=actor, obj=order)
    inspected = inspect_upload(upload)
    if not inspected.kind.is_image:
        raise DomainError(_("Only photos (PNG, JPEG, GIF, WebP) can be added to a work order."))
    if order.photos.count() >= MAX_PHOTOS:
        raise DomainError(_("A work order holds at most %(n)d photos.") % {"n": MAX_PHOTOS})
    stored = default_storage.save(storage_path("dispatch", inspected), upload)
    try:
        with transaction.atomic():
            photo = WorkOrderPhoto.objects.create(
                work_order=order,
                file=stored,
                name=inspected.name,
                content_type=inspected.kind.content_type,
                size=inspected.size,
                uploaded_by=actor,
            )
            _record(
                order,
                actor=actor,
                kind="dispatch.photo",
                summary=_("photo added: %(name)s") % {"name": inspected.name},
                photo_id=photo.pk,
            )
    except Exception:
        default_storage.delete(stored)
        raise
    return photo


@transaction.atomic
def record_return_visit(
    *,
    actor: User,
    work_order_id: int,
    outcome: str,
    satisfaction: int | None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """派工回访: what the customer said after the work, and how satisfied they are (1–5). Refused
    when the visit was handed to Return visits (selectors.handed_visit): it is recorded there,
    once, whoever calls (page, API or rule)."""
    order = _locked(work_order_id, expected_version)
    WORK_ORDER_FLOW.check(order.state, "record_visit", actor=actor, obj=order)
    if selectors.handed_visit(order.pk) is not None:
        raise Conflict(_("This return visit is a task in Return visits: record it there, once."))
    return _record_visit(order, actor=actor, outcome=outcome, satisfaction=satisfaction, now=now)


@transaction.atomic
def record_handed_visit(
    *,
    actor: User,
    work_order_id: int,
    outcome: str,
    satisfaction: int | None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """The order's 派工回访 step recorded by the visit task it was handed to (kefu/visits records
    its task, then calls this): the same checks and record as record_return_visit."""
    order = _locked(work_order_id, None)
    WORK_ORDER_FLOW.check(order.state, "record_visit", actor=actor, obj=order)
    return _record_visit(order, actor=actor, outcome=outcome, satisfaction=satisfaction, now=now)


def _record_visit(
    order: WorkOrder,
    *,
    actor: User,
    outcome: str,
    satisfaction: int | None,
    now: dt.datetime | None,
) -> WorkOrder:
    """Record the visit on the locked `order` (its flow checked by the caller)."""
    outcome = _text(outcome, limit=1000, required=_("Write down what the customer said."))
    if satisfaction not in {1, 2, 3, 4, 5}:
        raise DomainError(_("Choose the customer's satisfaction, from 1 to 5."))
    order.state = WorkOrderState.VISITED
    order.visited_at, order.visited_by = now or timezone.now(), actor
    order.visit_outcome, order.satisfaction = outcome, satisfaction
    _save(order, "visited_at", "visited_by", "visit_outcome", "satisfaction")
    _record(
        order,
        actor=actor,
        kind="dispatch.visited",
        summary=_("return visit: %(outcome)s") % {"outcome": outcome},
        satisfaction=satisfaction,
    )
    emit(WorkOrderProgressed(work_order_id=order.pk, state=order.state, actor_id=actor.pk))
    return order


@dataclass(frozen=True)
class SweepResult:
    late_arrivals: int
    overdue: int


def sweep_lateness(*, now: dt.datetime | None = None) -> SweepResult:
    """Announce each late arrival and each overdue completion once (WorkOrderLate), in working time
    only: the limits were computed on the business calendar, so a limit that passed is late."""
    now = now or timezone.now()
    if not field_calendar().is_working_time(now):
        return SweepResult(0, 0)
    counts = {}
    for limit, due_field, done_field, warned_field, states in (
        (
            "arrival",
            "arrival_due_at",
            "arrived_at",
            "late_arrival_warned_at",
            (WorkOrderState.ASSIGNED, WorkOrderState.ACCEPTED, WorkOrderState.ON_THE_WAY),
        ),
        (
            "completion",
            "completion_due_at",
            "completed_at",
            "overdue_warned_at",
            tuple(s for s in OPEN_STATES if s != WorkOrderState.FAILED),
        ),
    ):
        ids = list(
            WorkOrder.objects.filter(
                state__in=states,
                **{f"{due_field}__lt": now, f"{done_field}__isnull": True},
                **{f"{warned_field}__isnull": True},
            ).values_list("pk", flat=True)[:500]
        )
        counts[limit] = 0
        for order_id in ids:
            with transaction.atomic():
                order = (
                    WorkOrder.objects.select_for_update()
                    .filter(pk=order_id, **{f"{warned_field}__isnull": True})
                    .first()
                )
                if order is None:
                    continue
                setattr(order, warned_field, now)
                order.save(update_fields=[warned_field])
                emit(
                    WorkOrderLate(
                        work_order_id=order.pk, limit=limit, technician_id=order.technician_id
                    )
                )
                counts[limit] += 1
    return SweepResult(counts["arrival"], counts["completion"])
