"""The appointment SMS task is retry-safe (issue 16 item 1): Huey retries a failed task (retries=3);
running the same delivery again sends nobody a second SMS, and a run that died half-way sends only
what it had not sent yet. A new assignment (reassignment) is a new SMS."""

import contextlib
from unittest import mock

import pytest

from kefu.core.tasks import deliver_event
from kefu.dispatch import services, subscribers
from kefu.dispatch.events import WorkOrderAssigned
from kefu.dispatch.models import AppointmentSms
from kefu.sms.models import SmsMessage

pytestmark = pytest.mark.django_db

HANDLER = "kefu.dispatch.subscribers.send_appointment_sms"


def payload(order) -> dict:
    return WorkOrderAssigned(
        work_order_id=order.pk,
        technician_id=order.technician_id,
        assigned_by_id=None,
        previous_technician_id=None,
        version=order.version,
    ).payload()


def test_running_the_task_twice_sends_each_sms_once(
    make_order, templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order()
    assert SmsMessage.objects.count() == 2  # the first run: customer and technician
    # Huey runs the same task again (a retry, or the queue delivering it twice)
    deliver_event.call_local(HANDLER, WorkOrderAssigned.name, payload(order))
    deliver_event.call_local(HANDLER, WorkOrderAssigned.name, payload(order))
    assert sorted(SmsMessage.objects.values_list("template_code", flat=True)) == [
        "dispatch",
        "dispatch_technician",
    ]
    claims = AppointmentSms.objects.filter(work_order=order)
    assert sorted(claims.values_list("recipient", flat=True)) == ["customer", "technician"]
    assert all(c.sms_message_id for c in claims)


def test_a_run_that_died_half_way_is_retried_for_the_rest_only(
    make_order, templates, django_capture_on_commit_callbacks
):
    real = subscribers.send_sms
    calls = []

    def flaky(to, template, params, **kwargs):
        calls.append(template)
        if template == subscribers.TECHNICIAN_TEMPLATE and calls.count(template) == 1:
            raise ConnectionError("database went away")  # not a DomainError: the task fails
        return real(to, template, params, **kwargs)

    with mock.patch.object(subscribers, "send_sms", side_effect=flaky):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            order = make_order()
        for callback in callbacks:
            with contextlib.suppress(ConnectionError):  # the first run fails after the customer's
                callback()
        assert list(SmsMessage.objects.values_list("template_code", flat=True)) == ["dispatch"]
        # the retry (Huey retries=3): the customer is not told twice; the technician's SMS, whose
        # claim was taken before the failure, is not repeated either (at most once)
        deliver_event.call_local(HANDLER, WorkOrderAssigned.name, payload(order))
    assert list(SmsMessage.objects.values_list("template_code", flat=True)) == ["dispatch"]
    assert calls == ["dispatch", "dispatch_technician"]


def test_a_reassignment_is_a_new_sms_for_the_new_technician(
    cast, make_order, templates, django_capture_on_commit_callbacks, make_user
):
    from kefu.accounts.roles import Role

    with django_capture_on_commit_callbacks(execute=True):
        order = make_order()
    other = make_user(Role.DEPARTMENT_STAFF, department=cast.technician.department)
    other.mobile = "13900000002"
    other.save(update_fields=["mobile"])
    with django_capture_on_commit_callbacks(execute=True):
        order = services.reassign_work_order(
            actor=cast.supervisor, work_order_id=order.pk, technician_id=other.pk
        )
    deliver_event.call_local(HANDLER, WorkOrderAssigned.name, payload(order))  # a retry
    to = sorted(SmsMessage.objects.values_list("to", "template_code"))
    assert to.count(("+8613800138000", "dispatch")) == 2  # the customer: once per assignment
    assert ("+8613900000002", "dispatch_technician") in to
    assert len(to) == 4
