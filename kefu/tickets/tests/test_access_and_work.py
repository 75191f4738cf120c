"""Who sees which ticket (department isolation), saved views, assignment, watchers, notes, categories."""

import datetime as dt

import pytest
from django.http import Http404
from django.test import Client

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.models import TimelineEntry
from kefu.tickets import selectors
from kefu.tickets.events import TicketAssigned, TicketCreated, TicketNoteAdded
from kefu.tickets.models import NoteKind, RoutingRule, Ticket, TicketCategory, TicketNote
from kefu.tickets.services import catalog
from kefu.tickets.services.tickets import add_note, assign_ticket, create_ticket, set_watching
from kefu.tickets.states import TicketState, TicketType

from .conftest import NOW, SH

pytestmark = pytest.mark.django_db


# --- department isolation ------------------------------------------------------------------------


def test_department_staff_see_only_tickets_routed_to_their_department(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    unrouted = complaint_in(TicketState.CONFIRMED)
    assert list(selectors.visible_tickets(cast.staff)) == [routed]
    assert list(selectors.visible_tickets(cast.other_staff)) == []
    for role in ("agent", "supervisor", "manager", "inspector"):
        assert set(selectors.visible_tickets(getattr(cast, role))) == {routed, unrouted}


def test_another_departments_ticket_answers_like_a_missing_one(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    assert selectors.access_ticket(actor=cast.staff, ticket_id=routed.pk) == routed
    with pytest.raises(Http404):
        selectors.access_ticket(actor=cast.other_staff, ticket_id=routed.pk)
    with pytest.raises(Http404):
        selectors.access_ticket(actor=cast.other_staff, ticket_id=routed.pk + 1000)
    denied = AuditEntry.objects.get(action=AuditAction.ACCESS_DENIED)
    assert (denied.actor, denied.object_id) == (cast.other_staff, str(routed.pk))


def test_other_department_staff_cannot_add_notes_or_watch(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    with pytest.raises(DomainError, match="does not exist"):
        add_note(actor=cast.other_staff, ticket_id=routed.pk, kind=NoteKind.PROGRESS, body="看看")
    with pytest.raises(DomainError, match="does not exist"):
        set_watching(
            actor=cast.other_staff, ticket_id=routed.pk, user_id=cast.other_staff.pk, watching=True
        )
    assert not TicketNote.objects.exists()


def test_the_next_allowed_moves_are_the_buttons(cast, complaint_in):
    proposed = complaint_in(TicketState.PLAN_PROPOSED)
    assert [
        t.name for t in selectors.allowed_transitions(actor=cast.supervisor, ticket=proposed)
    ] == ["approve_plan", "return_plan"]
    assert selectors.allowed_transitions(actor=cast.agent, ticket=proposed) == []
    routed = complaint_in(TicketState.ROUTED)
    assert [t.name for t in selectors.allowed_transitions(actor=cast.staff, ticket=routed)] == [
        "record_cause"
    ]
    assert selectors.allowed_transitions(actor=cast.other_staff, ticket=routed) == []


# --- saved views ---------------------------------------------------------------------------------


def test_saved_views(cast, complaint_in, tech):
    mine = complaint_in(TicketState.RECEIVED)
    mine = assign_ticket(
        actor=cast.supervisor,
        ticket_id=mine.pk,
        expected_version=mine.version,
        assignee_id=cast.agent.pk,
    )
    routed = complaint_in(TicketState.ROUTED)
    proposed = complaint_in(TicketState.PLAN_PROPOSED)
    closed = complaint_in(TicketState.CLOSED)

    def view(user, name, now=None):
        return set(selectors.saved_view(user=user, view=name, now=now))

    assert view(cast.agent, "mine") == {mine}
    assert view(cast.agent, "unassigned") == {routed, proposed}
    assert view(cast.staff, "my_department") == {routed, proposed}
    assert view(cast.staff, "unassigned") == {routed, proposed}  # within what staff see
    assert view(cast.supervisor, "awaiting_approval") == {proposed}
    assert view(cast.other_staff, "awaiting_approval") == set()
    # Default limits: first response one working hour after 10:00; the stages were all restarted at 10:00.
    assert view(cast.agent, "about_to_breach", now=NOW) == {mine}
    assert view(
        cast.agent, "about_to_breach", now=dt.datetime(2026, 11, 23, 17, 30, tzinfo=SH)
    ) == {mine, routed, proposed}
    assert closed not in view(
        cast.agent, "about_to_breach", now=dt.datetime(2027, 1, 4, 10, tzinfo=SH)
    )
    with pytest.raises(ValueError, match="unknown saved view"):
        selectors.saved_view(user=cast.agent, view="everything")


# --- assignment and watchers -----------------------------------------------------------------------


def test_a_supervisor_assigns_and_there_is_one_assignee(
    cast, new_complaint, events, django_capture_on_commit_callbacks
):
    ticket = new_complaint()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = assign_ticket(
            actor=cast.supervisor,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            assignee_id=cast.agent.pk,
        )
        ticket = assign_ticket(
            actor=cast.supervisor,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            assignee_id=cast.agent2.pk,
        )
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.agent2
    assert [
        (e.assignee_id, e.previous_assignee_id) for e in events if isinstance(e, TicketAssigned)
    ] == [(cast.agent.pk, None), (cast.agent2.pk, cast.agent.pk)]
    assert (
        TimelineEntry.objects.filter(kind="tickets.assigned", subject_id=str(ticket.pk)).count()
        == 2
    )


def test_an_agent_may_only_take_an_unassigned_ticket_themselves(cast, new_complaint):
    ticket = new_complaint()
    with pytest.raises(PermissionRefused):
        assign_ticket(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            assignee_id=cast.agent2.pk,
        )
    taken = assign_ticket(
        actor=cast.agent,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        assignee_id=cast.agent.pk,
    )
    assert taken.assignee == cast.agent
    with pytest.raises(PermissionRefused):
        assign_ticket(
            actor=cast.agent2,
            ticket_id=ticket.pk,
            expected_version=taken.version,
            assignee_id=cast.agent2.pk,
        )
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.agent


def test_tickets_go_only_to_active_cs_staff(cast, new_complaint):
    ticket = new_complaint()
    for user in (cast.staff, cast.inspector):
        with pytest.raises(DomainError, match="active customer service staff"):
            assign_ticket(
                actor=cast.supervisor,
                ticket_id=ticket.pk,
                expected_version=ticket.version,
                assignee_id=user.pk,
            )
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_assigning_with_a_stale_version_is_a_conflict(cast, new_complaint):
    ticket = new_complaint()
    assign_ticket(
        actor=cast.supervisor,
        ticket_id=ticket.pk,
        expected_version=ticket.version,
        assignee_id=cast.agent.pk,
    )
    with pytest.raises(Conflict, match=ticket.number):
        assign_ticket(
            actor=cast.manager,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            assignee_id=cast.agent2.pk,
        )
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.agent


def test_watchers(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    set_watching(actor=cast.staff, ticket_id=routed.pk, user_id=cast.staff.pk, watching=True)
    set_watching(actor=cast.supervisor, ticket_id=routed.pk, user_id=cast.agent2.pk, watching=True)
    with pytest.raises(PermissionRefused):
        set_watching(actor=cast.agent, ticket_id=routed.pk, user_id=cast.agent2.pk, watching=False)
    with pytest.raises(DomainError, match="cannot see"):
        set_watching(
            actor=cast.supervisor, ticket_id=routed.pk, user_id=cast.other_staff.pk, watching=True
        )
    assert set(routed.watchers.all()) == {cast.staff, cast.agent2}


# --- notes ---------------------------------------------------------------------------------------


def test_department_staff_report_progress_and_request_information(
    cast, complaint_in, events, django_capture_on_commit_callbacks
):
    routed = complaint_in(TicketState.ROUTED)
    with django_capture_on_commit_callbacks(execute=True):
        add_note(actor=cast.staff, ticket_id=routed.pk, kind=NoteKind.PROGRESS, body="已联系厂家")
        add_note(
            actor=cast.staff,
            ticket_id=routed.pk,
            kind=NoteKind.INFO_REQUEST,
            body="请提供购买凭证照片",
        )
        add_note(actor=cast.agent, ticket_id=routed.pk, kind=NoteKind.INTERNAL, body="客户情绪激动")
    assert list(routed.notes.values_list("kind", "author")) == [
        (NoteKind.PROGRESS, cast.staff.pk),
        (NoteKind.INFO_REQUEST, cast.staff.pk),
        (NoteKind.INTERNAL, cast.agent.pk),
    ]
    assert [e.kind for e in events if isinstance(e, TicketNoteAdded)] == [
        "progress",
        "info_request",
        "internal",
    ]
    assert set(
        TimelineEntry.objects.filter(kind__startswith="tickets.note_").values_list(
            "is_internal", flat=True
        )
    ) == {True}


def test_refused_notes(cast, complaint_in):
    routed = complaint_in(TicketState.ROUTED)
    with pytest.raises(PermissionRefused):
        add_note(actor=cast.agent, ticket_id=routed.pk, kind=NoteKind.INFO_REQUEST, body="?")
    with pytest.raises(PermissionRefused):
        add_note(actor=cast.inspector, ticket_id=routed.pk, kind=NoteKind.INTERNAL, body="?")
    with pytest.raises(DomainError, match="empty"):
        add_note(actor=cast.staff, ticket_id=routed.pk, kind=NoteKind.PROGRESS, body="  ")
    assert not TicketNote.objects.exists()


# --- creation ------------------------------------------------------------------------------------


def test_creation_records_the_complaint_form_basics(
    cast, customer, category, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = create_ticket(
            actor=cast.agent,
            type=TicketType.COMPLAINT,
            subject="  <script>alert(1)</script>  ",
            customer_id=customer.pk,
            category_id=category.pk,
            now=NOW,
        )
    assert ticket.subject == "<script>alert(1)</script>"  # stored as text; pages escape it
    assert (ticket.complainant, ticket.complained_at, ticket.state, ticket.version) == (
        "张伟",
        NOW,
        TicketState.RECEIVED,
        1,
    )
    assert [type(e) for e in events] == [TicketCreated]
    entry = TimelineEntry.objects.get(kind="tickets.created")
    assert (entry.customer_id, entry.actor, entry.is_internal) == (customer.pk, cast.agent, False)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"subject": "  "}, DomainError, "needs a subject"),
        ({"subject": "长" * 201}, DomainError, "longer than 200"),
        ({"type": "gossip"}, DomainError, "Unknown ticket type"),
        ({"priority": "whenever"}, DomainError, "Unknown priority"),
        ({"customer_id": 999999}, DomainError, "customer does not exist"),
    ],
)
def test_refused_creations_change_nothing(cast, kwargs, error, message):
    args = {"actor": cast.agent, "type": TicketType.CONSULTATION, "subject": "问题", **kwargs}
    with pytest.raises(error, match=message):
        create_ticket(**args)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("role", ["inspector", "staff"])
def test_only_the_cs_side_creates_tickets(cast, role):
    with pytest.raises(PermissionRefused):
        create_ticket(actor=getattr(cast, role), type=TicketType.CONSULTATION, subject="问题")
    assert not Ticket.objects.exists()


# --- categories and routing (managers) -------------------------------------------------------------


def test_a_category_in_use_cannot_be_deleted_only_deactivated(cast, new_complaint, category):
    new_complaint()
    with pytest.raises(DomainError, match="deactivate it instead"):
        catalog.delete_category(actor=cast.manager, category_id=category.pk)
    with pytest.raises(DomainError, match="deactivate it instead"):
        catalog.delete_category(
            actor=cast.manager, category_id=category.parent_id
        )  # has a subcategory
    assert TicketCategory.objects.count() == 2
    catalog.set_category_active(actor=cast.manager, category_id=category.parent_id, active=False)
    assert not TicketCategory.objects.filter(is_active=True).exists()  # the subcategory too
    with pytest.raises(DomainError, match="no longer in use"):
        new_complaint()
    assert Ticket.objects.get().category == category


def test_an_unused_category_is_deleted_and_audited(cast):
    spare = catalog.create_category(actor=cast.manager, name="  其他  ")
    assert spare.name == "其他"
    with pytest.raises(DomainError, match="already exists"):
        catalog.create_category(actor=cast.manager, name="其他")
    catalog.delete_category(actor=cast.manager, category_id=spare.pk)
    assert not TicketCategory.objects.filter(pk=spare.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, object_repr="其他").count() == 1


@pytest.mark.parametrize("role", ["agent", "supervisor", "staff"])
def test_only_managers_change_categories_and_routing(cast, category, tech, role):
    actor = getattr(cast, role)
    with pytest.raises(PermissionRefused):
        catalog.create_category(actor=actor, name="新分类")
    with pytest.raises(PermissionRefused):
        catalog.set_routing_rule(actor=actor, category_id=category.pk, department_id=tech.pk)
    with pytest.raises(PermissionRefused):
        catalog.delete_category(actor=actor, category_id=category.pk)
    assert TicketCategory.objects.count() == 2 and RoutingRule.objects.count() == 1


def test_a_subcategory_rule_overrides_its_parents(cast, complaint_in, category, warehouse):
    catalog.set_routing_rule(
        actor=cast.manager, category_id=category.pk, department_id=warehouse.pk
    )
    assert complaint_in(TicketState.ROUTED).department == warehouse
    catalog.set_routing_rule(actor=cast.manager, category_id=category.pk, department_id=None)
    assert complaint_in(TicketState.ROUTED).department.code == "tech"


def test_an_inspector_reads_the_ticket_with_the_customer_named_not_linked(cast, new_complaint):
    """An inspector may read tickets but not open the archive: the customer's link answered 403."""
    ticket = new_complaint()
    link = f'href="/customers/{ticket.customer_id}/"'
    page = sign_in(Client(), cast.inspector).get(f"/tickets/{ticket.pk}/")
    assert page.status_code == 200 and "张伟" in page.content.decode()
    assert link not in page.content.decode()
    assert link in sign_in(Client(), cast.agent).get(f"/tickets/{ticket.pk}/").content.decode()
