"""Work orders through their services: creation and its checks, the technician's steps in order,
photos, the return visit three working days on, lateness on the business calendar, the figures."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import sign_in
from kefu.core.errors import DomainError
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import RoleRefused, TransitionRefused
from kefu.dispatch import selectors, services
from kefu.dispatch.events import WorkOrderAssigned, WorkOrderLate, WorkOrderProgressed
from kefu.dispatch.models import WorkOrder, WorkOrderPhoto, WorkOrderState
from kefu.dispatch.tests.conftest import MONDAY, SH
from kefu.notifications.models import Notification
from kefu.sms.models import SmsMessage

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def _walk(order, technician, *steps, at=MONDAY):
    for i, step in enumerate(steps):
        order = services.report_progress(
            actor=technician,
            work_order_id=order.pk,
            step=step,
            note="更换电容，试机正常" if step == "complete" else "",
            confirmed_by="黄伟" if step == "complete" else "",
            materials_used="电容一个" if step == "complete" else "",
            now=at + dt.timedelta(hours=2, minutes=10 * i),
        )
    return order


def test_a_work_order_is_created_with_its_limits_and_the_technician_and_customer_get_an_sms(
    cast, make_order, templates, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order()
    assert order.number.startswith("PG") and order.state == WorkOrderState.ASSIGNED
    assert order.contact_mobile == "+8613800138000"
    assert order.arrival_due_at == MONDAY.replace(hour=12)
    assert order.completion_due_at == MONDAY.replace(hour=16)  # four working hours on
    assert events == [
        WorkOrderAssigned(
            work_order_id=order.pk,
            technician_id=cast.technician.pk,
            assigned_by_id=cast.agent.pk,
            previous_technician_id=None,
            version=order.version,
        )
    ]
    sent = {m.to: m.template_code for m in SmsMessage.objects.all()}
    assert sent == {"+8613800138000": "dispatch", "+8613900000001": "dispatch_technician"}
    body = SmsMessage.objects.get(template_code="dispatch").body
    assert order.number in body and "11-23 10:00-12:00" in body
    assert Notification.objects.filter(recipient=cast.technician, kind="dispatch.assigned").exists()
    entry = TimelineEntry.objects.get(kind="dispatch.created")
    assert entry.customer_id == order.customer_id


def test_a_missing_sms_template_is_written_on_the_order_not_raised(
    make_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order()
    assert WorkOrder.objects.get().pk == order.pk
    assert TimelineEntry.objects.filter(kind="dispatch.sms_failed").count() == 2
    assert not SmsMessage.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (MONDAY - dt.timedelta(hours=1), MONDAY, "cannot start in the past"),
        (MONDAY.replace(hour=11), MONDAY.replace(hour=10), "must end after it starts"),
        (MONDAY.replace(hour=19), MONDAY.replace(hour=21), "working day between 08:00 and 20:00"),
        (MONDAY.replace(day=24, hour=6), MONDAY.replace(day=24, hour=9), "working day between"),
        (MONDAY.replace(hour=17), MONDAY.replace(day=24, hour=9), "working day between"),
        # Saturday 28 November: a weekend; 2027-01-01 元旦.
        (
            dt.datetime(2026, 11, 28, 10, tzinfo=SH),
            dt.datetime(2026, 11, 28, 12, tzinfo=SH),
            "working day between",
        ),
        (
            dt.datetime(2027, 1, 1, 10, tzinfo=SH),
            dt.datetime(2027, 1, 1, 12, tzinfo=SH),
            "working day between",
        ),
    ],
)
def test_an_appointment_in_the_past_or_outside_working_hours_is_refused(
    make_order, start, end, message
):
    with pytest.raises(DomainError, match=message):
        make_order(window=(start, end))
    assert not WorkOrder.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_only_active_department_users_are_technicians_and_only_the_desk_creates(cast, make_order):
    with pytest.raises(DomainError, match="Choose a technician"):
        make_order(technician_id=cast.agent.pk)
    with pytest.raises(DomainError, match="may not create work orders"):
        make_order(actor=cast.technician)
    with pytest.raises(DomainError, match="Describe the problem"):
        make_order(problem="  \x00 ")
    assert not WorkOrder.objects.exists()


def test_the_technician_reports_each_step_with_its_time_and_the_visit_is_due_in_three_working_days(
    cast, make_order, events, django_capture_on_commit_callbacks
):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        order = _walk(order, cast.technician, "accept", "set_off", "arrive", "complete")
    assert order.state == WorkOrderState.DONE
    assert order.accepted_at == MONDAY + dt.timedelta(hours=2)
    assert order.departed_at == MONDAY + dt.timedelta(hours=2, minutes=10)
    assert order.arrived_at == MONDAY + dt.timedelta(hours=2, minutes=20)
    assert order.completed_at == MONDAY + dt.timedelta(hours=2, minutes=30)
    assert order.confirmed_by == "黄伟" and order.materials_used == "电容一个"
    # Monday 10:30 + three working days (9:00–18:00) → Thursday 10:30.
    assert order.visit_due_at == dt.datetime(2026, 11, 26, 10, 30, tzinfo=SH)
    assert events == [
        WorkOrderProgressed(work_order_id=order.pk, state=state, actor_id=cast.technician.pk)
        for state in ("accepted", "on_the_way", "arrived", "done")
    ]
    assert list(
        TimelineEntry.objects.filter(kind__startswith="dispatch.")
        .order_by("id")
        .values_list("kind", flat=True)
    ) == [
        "dispatch.created",
        "dispatch.accept",
        "dispatch.set_off",
        "dispatch.arrive",
        "dispatch.complete",
    ]


def test_a_step_out_of_order_is_refused_and_changes_nothing(cast, make_order):
    order = make_order()
    with pytest.raises(TransitionRefused, match="only possible from"):
        services.report_progress(actor=cast.technician, work_order_id=order.pk, step="arrive")
    order.refresh_from_db()
    assert order.state == WorkOrderState.ASSIGNED and order.arrived_at is None
    assert order.version == 1


def test_completion_needs_the_customers_confirmation(cast, make_order):
    order = _walk(make_order(), cast.technician, "accept", "set_off", "arrive")
    with pytest.raises(DomainError, match="customer confirms"):
        services.report_progress(
            actor=cast.technician, work_order_id=order.pk, step="complete", note="修好了"
        )
    order.refresh_from_db()
    assert order.state == WorkOrderState.ARRIVED and order.completed_at is None


def test_a_technician_cannot_update_someone_elses_order(cast, make_order):
    order = make_order()
    with pytest.raises(RoleRefused):
        services.report_progress(actor=cast.other_technician, work_order_id=order.pk, step="accept")
    with pytest.raises(RoleRefused):
        services.report_progress(actor=cast.supervisor, work_order_id=order.pk, step="accept")
    order.refresh_from_db()
    assert order.state == WorkOrderState.ASSIGNED and order.accepted_at is None
    assert not selectors.visible_work_orders(cast.other_technician).exists()
    assert list(selectors.visible_work_orders(cast.technician)) == [order]


def test_a_photo_must_be_an_image(cast, make_order, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = _walk(make_order(), cast.technician, "accept", "set_off", "arrive")
    fake = SimpleUploadedFile("site.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(DomainError):
        services.add_photo(actor=cast.technician, work_order_id=order.pk, upload=fake)
    pdf = SimpleUploadedFile("site.pdf", b"%PDF-1.4 whatever", content_type="application/pdf")
    with pytest.raises(DomainError, match="Only photos"):
        services.add_photo(actor=cast.technician, work_order_id=order.pk, upload=pdf)
    assert not WorkOrderPhoto.objects.exists()
    assert not list(tmp_path.rglob("*.*"))
    photo = services.add_photo(
        actor=cast.technician,
        work_order_id=order.pk,
        upload=SimpleUploadedFile("site.png", PNG, content_type="image/png"),
    )
    assert photo.content_type == "image/png" and photo.name == "site.png"
    with pytest.raises(RoleRefused):
        services.add_photo(
            actor=cast.other_technician,
            work_order_id=order.pk,
            upload=SimpleUploadedFile("x.png", PNG, content_type="image/png"),
        )


def test_failed_then_rescheduled_with_another_technician(
    cast, make_order, window, events, django_capture_on_commit_callbacks
):
    order = _walk(make_order(), cast.technician, "accept", "set_off")
    with pytest.raises(DomainError, match="Say why"):
        services.report_progress(actor=cast.technician, work_order_id=order.pk, step="fail")
    order = services.report_progress(
        actor=cast.technician, work_order_id=order.pk, step="fail", note="客户不在家"
    )
    assert order.state == WorkOrderState.FAILED and order.failure_reason == "客户不在家"
    tuesday = (window[0] + dt.timedelta(days=1), window[1] + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        order = services.reschedule_work_order(
            actor=cast.supervisor,
            work_order_id=order.pk,
            appointment_start=tuesday[0],
            appointment_end=tuesday[1],
            technician_id=cast.other_technician.pk,
            now=MONDAY,
        )
    assert order.state == WorkOrderState.ASSIGNED and order.reschedule_count == 1
    assert order.technician == cast.other_technician and order.accepted_at is None
    assert order.arrival_due_at == tuesday[1]
    assert events[-1].previous_technician_id == cast.technician.pk
    with pytest.raises(RoleRefused):
        services.reschedule_work_order(
            actor=cast.agent,
            work_order_id=order.pk,
            appointment_start=tuesday[0],
            appointment_end=tuesday[1],
            now=MONDAY,
        )


def test_reassignment_and_cancellation(cast, make_order):
    order = make_order()
    with pytest.raises(DomainError, match="already with"):
        services.reassign_work_order(
            actor=cast.supervisor, work_order_id=order.pk, technician_id=cast.technician.pk
        )
    order = services.reassign_work_order(
        actor=cast.supervisor, work_order_id=order.pk, technician_id=cast.other_technician.pk
    )
    assert order.technician == cast.other_technician
    with pytest.raises(DomainError, match="changed this work order"):
        services.cancel_work_order(
            actor=cast.supervisor, work_order_id=order.pk, reason="客户取消", expected_version=1
        )
    order = services.cancel_work_order(
        actor=cast.supervisor, work_order_id=order.pk, reason="客户取消"
    )
    assert order.state == WorkOrderState.CANCELLED
    with pytest.raises(TransitionRefused):
        services.cancel_work_order(actor=cast.supervisor, work_order_id=order.pk, reason="again")


def test_the_return_visit_closes_the_order(cast, make_order):
    order = _walk(make_order(), cast.technician, "accept", "set_off", "arrive", "complete")
    assert list(selectors.visits_due()) == [order]
    with pytest.raises(DomainError, match="satisfaction"):
        services.record_return_visit(
            actor=cast.agent, work_order_id=order.pk, outcome="满意", satisfaction=7
        )
    with pytest.raises(RoleRefused):
        services.record_return_visit(
            actor=cast.technician, work_order_id=order.pk, outcome="满意", satisfaction=5
        )
    order = services.record_return_visit(
        actor=cast.agent,
        work_order_id=order.pk,
        outcome="师傅准时，已修好",
        satisfaction=5,
        now=MONDAY + dt.timedelta(days=1),
    )
    assert order.state == WorkOrderState.VISITED and order.visited_by == cast.agent
    assert not selectors.visits_due().exists()


def test_lateness_is_announced_once_in_working_time(
    cast, make_order, events, django_capture_on_commit_callbacks
):
    late = make_order()
    on_time = _walk(make_order(), cast.technician, "accept", "set_off", "arrive")
    evening = MONDAY.replace(hour=21)
    assert services.sweep_lateness(now=evening) == services.SweepResult(0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.sweep_lateness(now=MONDAY.replace(hour=12, minute=5))
    assert result == services.SweepResult(late_arrivals=1, overdue=0)
    assert events == [
        WorkOrderLate(work_order_id=late.pk, limit="arrival", technician_id=cast.technician.pk)
    ]
    assert Notification.objects.filter(recipient=cast.supervisor, kind="dispatch.late").exists()
    assert services.sweep_lateness(now=MONDAY.replace(hour=12, minute=10)).late_arrivals == 0
    result = services.sweep_lateness(now=MONDAY.replace(hour=16, minute=5))
    assert result == services.SweepResult(late_arrivals=0, overdue=2)
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert selectors.lateness(on_time, now=MONDAY.replace(hour=15, minute=40)) == "soon"
    assert selectors.lateness(late, now=MONDAY.replace(hour=12, minute=1)) == "late"


def test_the_board_filters_and_counts_by_state(cast, make_order):
    a = make_order(area="青秀区")
    b = make_order(area="兴宁区", technician_id=cast.other_technician.pk)
    _walk(b, cast.other_technician, "accept")
    day = MONDAY.date()
    at = MONDAY.replace(hour=12, minute=30)
    data = selectors.board(actor=cast.supervisor, filters=selectors.BoardFilter(day=day), now=at)
    assert [o.pk for o in data["rows"]] == [a.pk, b.pk]
    counts = {c["state"]: c["count"] for c in data["columns"]}
    assert counts["assigned"] == 1 and counts["accepted"] == 1
    assert data["late"] == 2
    only = selectors.board(
        actor=cast.supervisor,
        filters=selectors.BoardFilter(day=day, technician_id=cast.other_technician.pk),
        now=at,
    )
    assert [o.pk for o in only["rows"]] == [b.pk]
    area = selectors.board(
        actor=cast.supervisor, filters=selectors.BoardFilter(day=day, area="青秀区"), now=at
    )
    assert [o.pk for o in area["rows"]] == [a.pk]
    late = selectors.board(
        actor=cast.supervisor, filters=selectors.BoardFilter(day=day, late_only=True), now=MONDAY
    )
    assert late["rows"] == []


def test_the_board_pages_its_rows_and_counts_every_order_and_every_late_one(
    cast, make_order, monkeypatch
):
    """Issue 16's benchmark: a busy day is shown a page at a time (by appointment, then id); the
    counts and the late ones are of the whole day, not of the page."""
    monkeypatch.setattr(selectors, "BOARD_PAGE", 2)
    orders = [make_order(area="青秀区") for _ in range(3)]
    day, at = MONDAY.date(), MONDAY.replace(hour=12, minute=30)
    first = selectors.board(actor=cast.supervisor, filters=selectors.BoardFilter(day=day), now=at)
    assert [o.pk for o in first["rows"]] == [orders[0].pk, orders[1].pk]
    assert first["total"] == 3 and first["late"] == 3
    assert first["page"].next_cursor
    rest = selectors.board(
        actor=cast.supervisor,
        filters=selectors.BoardFilter(day=day, cursor=str(first["page"].next_cursor)),
        now=at,
    )
    assert [o.pk for o in rest["rows"]] == [orders[2].pk]
    assert rest["page"].next_cursor is None and rest["total"] == 3
    client = sign_in(Client(), cast.supervisor)
    page = client.get(f"/dispatch/board/?day={day.isoformat()}").content.decode()
    assert f'data-testid="board-row-{orders[1].pk}"' in page
    assert f'data-testid="board-row-{orders[2].pk}"' not in page
    assert 'data-testid="next-page"' in page
    nonsense = client.get(f"/dispatch/board/?day={day.isoformat()}&cursor=%3Cscript%3E_x")
    assert nonsense.status_code == 200  # a cursor that is not one: the first page


def test_the_board_lists_each_area_in_use_once_by_name(cast, make_order):
    for area in ("兴宁区", "青秀区", "兴宁区", "", "江南区"):
        make_order(area=area)
    assert selectors.areas() == sorted(["兴宁区", "青秀区", "江南区"])


def test_dispatch_figures_for_a_period(cast, make_order):
    done = _walk(make_order(), cast.technician, "accept", "set_off", "arrive", "complete")
    late = MONDAY.replace(hour=11)  # arrives 13:20, the window ended 12:00
    _walk(make_order(), cast.technician, "accept", "set_off", "arrive", "complete", at=late)
    make_order()
    services.record_return_visit(
        actor=cast.agent,
        work_order_id=done.pk,
        outcome="好",
        satisfaction=4,
        now=MONDAY + dt.timedelta(days=1),
    )
    figures = selectors.dispatch_figures(
        start=MONDAY - dt.timedelta(days=1), end=MONDAY + dt.timedelta(days=7)
    )
    assert figures["done"] == 2
    assert figures["arrived_late"] == 1
    assert figures["completed_late"] == 0
    assert figures["visited"] == 1 and figures["visited_on_time"] == 1
    assert figures["mean_satisfaction"] == 4
    assert figures["failed"] == 0
