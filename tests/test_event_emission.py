"""One emission test per domain event (issue 9.14; docs/events.md): each event is emitted by its
service after commit, with the ids and values its subscribers need, and never when the transaction
rolls back. Events whose emission is asserted beside their app's behaviour are named in ELSEWHERE;
`test_every_event_has_its_emission_test` fails for an event in neither table."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.customers.models import Customer
from kefu.customers.services import assignment, merging, profiles
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]

# Emission asserted in the app's own tests (file::test), next to the behaviour it drives.
ELSEWHERE = {
    "accounts.presence_changed": "kefu/core/tests/test_events.py::test_set_presence_emits_presence_changed",
    "conversations.started": "kefu/conversations/tests/test_lifecycle.py",
    "conversations.message_posted": "kefu/conversations/tests/test_messages.py",
    "conversations.assigned": "kefu/conversations/tests/test_lifecycle.py",
    "conversations.requeued": "kefu/conversations/tests/test_lifecycle.py",
    "conversations.closed": "kefu/conversations/tests/test_lifecycle.py",
    "conversations.rated": "kefu/conversations/tests/test_lifecycle.py",
    "conversations.email_reply_state": "kefu/conversations/tests/test_email_delivery.py",
    "customers.assigned": "kefu/customers/tests/test_services.py",
    "customers.imported": "kefu/customers/tests/test_transfer.py",
    "reports.issued": "kefu/reports/tests/test_reports.py::test_issuing_a_pack_emits_report_issued",
    "quality.conversation_checked": "kefu/quality/tests/test_checks.py",
    "quality.call_checked": "kefu/quality/tests/test_call_checks.py::test_a_call_review_tells_the_agent_and_the_supervisors",
    "quality.reviewed": "kefu/quality/tests/test_checks.py",
    "quality.appealed": "kefu/quality/tests/test_checks.py",
    "quality.appeal_decided": "kefu/quality/tests/test_checks.py",
    "aftersales.case_moved": "kefu/aftersales/tests/test_cases.py::test_a_quality_return_through_intake_and_refund",
    "aftersales.review_closed": "kefu/aftersales/tests/test_reviews.py::test_a_bad_review_is_contacted_and_closed",
    "orders.recorded": "kefu/orders/tests/test_orders.py::test_an_order_is_matched_by_wangwang_id_and_posted_twice_is_one",
    "orders.remarked": "kefu/orders/tests/test_orders.py::test_a_remark_is_signed_flags_the_desk_and_is_confirmed",
    "orders.change_requested": "kefu/orders/tests/test_orders.py::test_an_address_change_before_printing",
    "orders.change_finished": "kefu/orders/tests/test_orders.py::test_an_address_change_before_printing",
    "tickets.created": "kefu/tickets/tests/test_loop.py",
    "tickets.transitioned": "kefu/tickets/tests/test_loop.py",
    "tickets.routed": "kefu/tickets/tests/test_loop.py",
    "tickets.plan_approval_requested": "kefu/tickets/tests/test_loop.py",
    "tickets.handler_changed": "kefu/tickets/tests/test_loop.py",
    "tickets.assigned": "kefu/tickets/tests/test_access_and_work.py",
    "tickets.note_added": "kefu/tickets/tests/test_access_and_work.py",
    "tickets.sla_warning": "kefu/tickets/tests/test_sla.py",
    "tickets.sla_breached": "kefu/tickets/tests/test_sla.py",
    "visits.survey_offered": "kefu/visits/tests/test_survey_widget.py::test_the_widget_shows_the_survey_link_when_the_chat_ends_until_it_is_answered",
    "visits.plan_reminder_due": "kefu/visits/tests/test_plans.py::test_the_25th_drafts_next_months_plan_once_and_reminds",
    "visits.campaign_submitted": "kefu/visits/tests/test_plans.py::test_submitting_and_deciding_and_issuing_emit_their_events",
    "visits.campaign_decided": "kefu/visits/tests/test_plans.py::test_submitting_and_deciding_and_issuing_emit_their_events",
    "visits.campaign_issued": "kefu/visits/tests/test_plans.py::test_submitting_and_deciding_and_issuing_emit_their_events",
    "visits.moved": "kefu/visits/tests/test_plans.py::test_a_supervisor_moves_visits_in_bulk",
    "visits.recorded": "kefu/visits/tests/test_visits.py::test_a_satisfied_visit_is_recorded_on_the_timeline",
    "privacy.customer_erased": "kefu/privacy/tests/test_privacy.py::test_erasure_emits_customer_erased_after_commit",
    "visits.survey_answered": "kefu/visits/tests/test_surveys.py::test_a_low_score_opens_a_follow_up_visit_and_emits_the_event",
    "visits.deadline": "kefu/visits/tests/test_report.py::test_deadline_alerts_are_told_once_to_the_agent_and_supervisors",
    "aftersales.money_moved": "kefu/aftersales/tests/test_money.py::test_money_steps_emit_money_moved_after_commit",
    "dispatch.assigned": "kefu/dispatch/tests/test_services.py",
    "dispatch.progressed": "kefu/dispatch/tests/test_services.py",
    "dispatch.late": "kefu/dispatch/tests/test_services.py",
    "feedback.problem_state_changed": "kefu/feedback/tests/test_feedback.py",
    "feedback.problem_opened": "kefu/feedback/tests/test_feedback.py",
    "knowledge.article_published": "kefu/knowledge/tests/test_knowledge.py::test_publishing_and_flagging_emit_their_events",
    "knowledge.message_flagged": "kefu/knowledge/tests/test_knowledge.py::test_publishing_and_flagging_emit_their_events",
}


@dataclass(frozen=True)
class Emission:
    event: str  # the event's name
    act: Callable[[], object]  # the service call (made inside the caller's transaction)
    expect: Callable[[], dict]  # fields the event must carry (computed after `act`)


class Cast:
    """The people and records the emitters act on."""

    def __init__(self):
        cs = DepartmentFactory(code="cs", name="客服部", is_customer_service=True)
        self.admin = UserFactory(role=Role.ADMINISTRATOR, department=cs)
        self.manager = UserFactory(role=Role.MANAGER, department=cs)
        self.supervisor = UserFactory(role=Role.SUPERVISOR, department=cs)
        self.agent = UserFactory(role=Role.AGENT, department=cs)
        self.other_agent = UserFactory(role=Role.AGENT, department=cs)
        self.customer = profiles.create_customer(
            actor=self.other_agent,
            name="张伟",
            contacts=profiles.ContactPoints({"mobile": ["13800138000"]}),
        )
        self.other = profiles.create_customer(actor=self.other_agent, name="张伟（重复）")
        self.made: dict = {}


def _emissions(c: Cast) -> list[Emission]:
    from kefu.accounts import services as accounts
    from kefu.notifications.services import notify
    from kefu.quality import services as quality
    from kefu.telephony import services as telephony
    from kefu.telephony.models import Call, Extension

    def overdue():
        Customer.objects.filter(pk=c.customer.pk).update(
            owner=c.agent, contact_due_at=timezone.now() - dt.timedelta(days=1)
        )
        assignment.remind_overdue_contacts()

    def sheet():
        made = quality.draft_sheet(
            actor=c.supervisor, agent_id=c.agent.pk, month=timezone.localdate()
        )
        quality.add_item(actor=c.supervisor, sheet_id=made.pk, points=5, reason="回访及时")
        c.made["sheet"] = made
        return made

    def ringing():
        Extension.objects.create(user=c.agent, number="8001")
        telephony.handle_telephony_event(
            {
                "event": "call.ringing",
                "call_id": "pbx-1",
                "number": "13800138000",
                "extension": "8001",
            }
        )

    def fields_changed():
        from kefu.tickets.services.tickets import create_ticket, set_ticket_fields

        made = create_ticket(actor=c.manager, type="complaint", subject="发票开错了")
        c.made["ticket"] = set_ticket_fields(
            actor=c.manager, ticket_id=made.pk, expected_version=made.version, priority="urgent"
        )

    def decided():
        made = sheet()
        quality.submit_sheet(actor=c.supervisor, sheet_id=made.pk)
        quality.decide_sheet(actor=c.manager, sheet_id=made.pk, approve=True)

    return [
        Emission(
            "accounts.role_changed",
            lambda: accounts.change_role(actor=c.admin, user=c.agent, role=Role.SUPERVISOR),
            lambda: {
                "user_id": c.agent.pk,
                "old_role": Role.AGENT,
                "new_role": Role.SUPERVISOR,
                "changed_by_id": c.admin.pk,
            },
        ),
        Emission(
            "accounts.standing_changed",
            lambda: accounts.set_user_active(actor=c.admin, user=c.agent, active=False),
            lambda: {"user_id": c.agent.pk, "reason": "deactivated"},
        ),
        Emission(
            "customers.created",
            lambda: c.made.update(new=profiles.create_customer(actor=c.agent, name="李娜")),
            lambda: {"customer_id": c.made["new"].pk, "created_by_id": c.agent.pk},
        ),
        Emission(
            "customers.merged",
            lambda: merging.merge_customers(
                actor=c.supervisor, survivor=c.customer, duplicate=c.other
            ),
            lambda: {
                "survivor_id": c.customer.pk,
                "merged_id": c.other.pk,
                "merged_by_id": c.supervisor.pk,
            },
        ),
        Emission(
            "customers.contact_overdue",
            overdue,
            lambda: {"owner_id": c.agent.pk, "customer_ids": (c.customer.pk,)},
        ),
        Emission(
            "customers.identified",
            lambda: profiles.update_customer(
                actor=c.other_agent, customer=c.customer, name="张伟伟"
            ),
            lambda: {"customer_id": c.customer.pk, "fields": ("name",)},
        ),
        Emission(
            "customers.assignment_requested",
            lambda: assignment.request_assignment(
                actor=c.agent, kind="mobile", value="13800138000"
            ),
            lambda: {"customer_id": c.customer.pk, "requested_by_id": c.agent.pk},
        ),
        Emission(
            "quality.sheet_submitted",
            lambda: quality.submit_sheet(actor=c.supervisor, sheet_id=sheet().pk),
            lambda: {"sheet_id": c.made["sheet"].pk, "submitted_by_id": c.supervisor.pk},
        ),
        Emission(
            "quality.sheet_decided",
            decided,
            lambda: {
                "sheet_id": c.made["sheet"].pk,
                "state": "approved",
                "decided_by_id": c.manager.pk,
                "drafted_by_id": c.supervisor.pk,
            },
        ),
        Emission(
            "telephony.incoming_call",
            ringing,
            lambda: {"call_id": Call.objects.get(external_id="pbx-1").pk, "agent_id": c.agent.pk},
        ),
        Emission(
            "telephony.call_recorded",
            lambda: c.made.update(
                call=telephony.record_call(
                    actor=c.agent, direction="out", number="13800138000", outcome="answered"
                )
            ),
            lambda: {"call_id": c.made["call"].pk},
        ),
        Emission(
            "tickets.fields_changed",
            fields_changed,
            lambda: {
                "ticket_id": c.made["ticket"].pk,
                "fields": ("priority",),
                "changed_by_id": c.manager.pk,
            },
        ),
        Emission(
            "notifications.created",
            lambda: notify(recipient_ids=[c.agent.pk], kind="test", title="请回电 13912345678"),
            lambda: {
                "recipient_id": c.agent.pk,
                "title": "请回电 13912345678",  # an agent holds the reveal right
                "link": "",
                "unread": 1,
            },
        ),
    ]


EMITTED_HERE = [
    "accounts.role_changed",
    "accounts.standing_changed",
    "customers.created",
    "customers.merged",
    "customers.contact_overdue",
    "customers.identified",
    "customers.assignment_requested",
    "quality.sheet_submitted",
    "quality.sheet_decided",
    "telephony.incoming_call",
    "telephony.call_recorded",
    "tickets.fields_changed",
    "notifications.created",
]


def _product_events() -> set[str]:
    for app in ("accounts", "conversations", "customers", "notifications", "quality"):
        importlib.import_module(f"kefu.{app}.events")
    importlib.import_module("kefu.telephony.events")
    importlib.import_module("kefu.tickets.events")
    importlib.import_module("kefu.visits.events")
    importlib.import_module("kefu.orders.events")  # run alone, nothing else imports these
    importlib.import_module("kefu.aftersales.events")
    importlib.import_module("kefu.privacy.events")
    return {
        name
        for name, cls in EVENT_TYPES.items()
        if cls.__module__.startswith("kefu.") and ".tests" not in cls.__module__
    }


def test_every_event_has_its_emission_test():
    events = _product_events()
    missing = events - set(EMITTED_HERE) - set(ELSEWHERE)
    assert not missing, f"events without an emission test: {sorted(missing)}"
    assert not (set(EMITTED_HERE) | set(ELSEWHERE)) - events, "a test names an unknown event"
    for name, where in ELSEWHERE.items():
        path, _sep, test = where.partition("::")
        text = (ROOT / path).read_text(encoding="utf-8")
        assert EVENT_TYPES[name].__name__ in text, (name, path)
        assert not test or re.search(rf"def {test}\b", text), (name, where)


def test_docs_list_every_event():
    docs = (ROOT / "docs/events.md").read_text(encoding="utf-8")
    missing = [name for name in _product_events() if f"`{name}`" not in docs]
    assert not missing, f"docs/events.md does not list {missing}"


@pytest.fixture
def received():
    got = []
    types = [EVENT_TYPES[name] for name in EMITTED_HERE]
    for t in types:
        subscribe(t, got.append, mode=Delivery.INLINE)
    yield got
    for t in types:
        unsubscribe(t, got.append)


@pytest.mark.parametrize("name", EMITTED_HERE)
def test_the_service_emits_the_event_after_commit(
    name, received, django_capture_on_commit_callbacks
):
    cast = Cast()
    emission = next(e for e in _emissions(cast) if e.event == name)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emission.act()
        assert not [e for e in received if e.name == name]  # nothing before the commit
    for callback in callbacks:
        callback()
    events = [e for e in received if e.name == name]
    assert len(events) == 1, events
    fields = emission.expect()
    assert {k: getattr(events[0], k) for k in fields} == fields
