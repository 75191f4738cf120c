"""The supervisor's archive pages: review queue, assignment with preview, the seven-day due list,
duplicates and merging. Who may open which, what each shows, and that refusals change nothing."""

import datetime as dt
import itertools
import re

import factory
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone
from django.utils.html import escape

from conftest import HOSTILE_STRINGS
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.core.errors import Conflict
from kefu.core.models import TimelineEntry
from kefu.customers import api_work, selectors
from kefu.customers.models import Customer, DuplicateCandidate, DuplicateStatus, Gender
from kefu.customers.services import profiles

pytestmark = pytest.mark.django_db


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")


def in_english(client):
    """Messages are checked by their English text, whatever the Chinese translation says."""
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def owners(*customers) -> list:
    return list(
        Customer.objects.filter(pk__in=[c.pk for c in customers])
        .order_by("pk")
        .values_list("owner_id", flat=True)
    )


def hidden_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)


# --- who may open what -------------------------------------------------------------------------

PAGES = [
    "/customers/review/",
    "/customers/assign/",
    "/customers/duplicates/",
    "/customers/due/",
    "merge_with",
]
ASSIGNERS = {Role.SUPERVISOR, Role.MANAGER, Role.ADMINISTRATOR}
MAY_OPEN = {
    "/customers/review/": ASSIGNERS,
    "/customers/assign/": ASSIGNERS,
    "/customers/duplicates/": ASSIGNERS,
    "/customers/due/": ASSIGNERS | {Role.AGENT},
    "merge_with": ASSIGNERS,
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", Role.values)
def test_page_matrix(client_for, role, page):
    client, user = client_for(role)
    url = (
        f"/customers/{CustomerFactory(created_by=user).pk}/merge/" if page == "merge_with" else page
    )
    response = client.get(url)
    assert response.status_code == (200 if role in MAY_OPEN[page] else 403), (
        role,
        page,
        response.status_code,
    )


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ["/customers/review/", "/customers/due/", "/customers/duplicates/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/")


@pytest.mark.parametrize("role", [Role.AGENT, Role.DEPARTMENT_STAFF, Role.INSPECTOR])
def test_writes_are_refused_to_those_without_the_assignment_right(client_for, make_user, role):
    client, user = client_for(role)
    agent = make_user(Role.AGENT)
    left, right = CustomerFactory(owner=user), CustomerFactory(owner=user)
    candidate = DuplicateCandidate.objects.create(customer=left, other=right, reason="同一手机号")

    responses = [
        client.post(
            "/customers/assign/", {"customer": [left.pk], "agent": [agent.pk], "step": "preview"}
        ),
        client.post("/customers/assign/confirm/", {"pair": [f"{left.pk}:{agent.pk}"]}),
        client.post(f"/customers/duplicates/{candidate.pk}/merge/", {"survivor": left.pk}),
        client.post(f"/customers/duplicates/{candidate.pk}/dismiss/"),
        client.post(f"/customers/{left.pk}/merge/", {"other": right.pk, "survivor": left.pk}),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert owners(left, right) == [user.pk, user.pk]
    assert list(Customer.objects.filter(merged_into__isnull=False)) == []
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.OPEN, None)


# --- review queue ------------------------------------------------------------------------------


def test_review_queue_shows_completeness_missing_fields_doubts_and_filters(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    agent = make_user(Role.AGENT, display_name="陈静")
    new = CustomerFactory(name="新客户", created_by=agent, completeness=25)
    doubted = CustomerFactory(
        name="存疑客户",
        owner=agent,
        completeness=100,
        reviewed_at=timezone.now(),
        accuracy_flag="手机号像是假的",
    )
    done = CustomerFactory(name="已整理", completeness=100, reviewed_at=timezone.now())
    complete_new = profiles.create_customer(
        actor=agent,
        name="完整客户",
        contacts=profiles.ContactPoints({"mobile": ["13800138000"]}),
        gender=Gender.MALE,
        region="广西",
        city="南宁市",
        district="青秀区",
        street="新竹街道",
    )

    body = client.get("/customers/review/").content.decode()

    rows = re.findall(r'data-testid="review-row-(\d+)"', body)
    assert rows == [
        str(complete_new.pk),
        str(doubted.pk),
        str(new.pk),
    ]  # newest first; `done` is not there
    assert f'data-testid="review-row-{done.pk}"' not in body
    assert "Missing: address" in body  # complete_new lacks only the address
    assert "手机号像是假的" in body
    assert f'href="/customers/{doubted.pk}/"' in body

    def shown(query: str) -> list[str]:
        return re.findall(
            r'data-testid="review-row-(\d+)"',
            client.get(f"/customers/review/?{query}").content.decode(),
        )

    assert shown("new=on") == [str(complete_new.pk), str(new.pk)]
    assert shown("incomplete=on") == [str(complete_new.pk), str(new.pk)]
    assert shown("doubted=on") == [str(doubted.pk)]
    assert shown("new=on&incomplete=on&doubted=on") == []


def test_mark_reviewed_from_the_queue_returns_to_the_queue(client_for):
    client, supervisor = client_for(Role.SUPERVISOR)
    customer = CustomerFactory(completeness=100)

    response = client.post(
        f"/customers/{customer.pk}/reviewed/", {"next": "/customers/review/?new=on"}
    )

    assert (response.status_code, response["Location"]) == (302, "/customers/review/?new=on")
    customer.refresh_from_db()
    assert customer.reviewed_by == supervisor
    assert (
        f"review-row-{customer.pk}" not in client.get("/customers/review/?new=on").content.decode()
    )


def test_daily_capture_counts_per_agent(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    busy, quiet = (
        make_user(Role.AGENT, display_name="周敏"),
        make_user(Role.AGENT, display_name="吴刚"),
    )
    CustomerFactory.create_batch(3, created_by=busy)
    CustomerFactory(created_by=quiet)
    CustomerFactory(created_by=None)

    body = client.get("/customers/review/").content.decode()

    table = body.split('data-testid="capture-table"')[1].split("</table>")[0]
    rows = re.findall(
        r'<tr data-testid="capture-row"><td>([^<]*)</td><td class="text-end px-1">(\d+)</td>.*?fw-bold">(\d+)</td></tr>',
        table,
    )
    assert rows == [
        ("周敏", "3", "3"),
        ("吴刚", "1", "1"),
    ]  # today's column first, most captured first


# --- assignment --------------------------------------------------------------------------------


def test_assignment_preview_shows_the_distribution_and_assigns_nothing(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    first, second = (
        make_user(Role.AGENT, display_name="甲"),
        make_user(Role.AGENT, display_name="乙"),
    )
    CustomerFactory.create_batch(2, owner=first)
    x, y, z = CustomerFactory.create_batch(3)

    choose = client.post("/customers/assign/", {"customer": [x.pk, y.pk, z.pk]})
    assert choose.status_code == 200
    html = choose.content.decode()
    assert hidden_values(html, "customer") == [str(x.pk), str(y.pk), str(z.pk)]
    assert re.search(rf'data-testid="owns-{first.pk}">2<', html) and re.search(
        rf'data-testid="owns-{second.pk}">0<', html
    )
    assert 'data-testid="no-plan"' in html

    preview = client.post(
        "/customers/assign/",
        {"customer": [x.pk, y.pk, z.pk], "agent": [first.pk, second.pk], "step": "preview"},
    )

    html = preview.content.decode()
    assert hidden_values(html, "pair") == [
        f"{x.pk}:{second.pk}",
        f"{y.pk}:{second.pk}",
        f"{z.pk}:{first.pk}",
    ]
    load_row = r'data-testid="load-(\d+)"><td>[^<]*</td><td class="text-end">(\d+)</td><td class="text-end">\+(\d+)</td><td class="text-end fw-bold">(\d+)</td>'
    loads = {m[0]: m[1:] for m in re.findall(load_row, html)}
    assert loads == {str(first.pk): ("2", "1", "3"), str(second.pk): ("0", "2", "2")}
    assert owners(x, y, z) == [None, None, None]
    assert not TimelineEntry.objects.filter(kind="customers.assigned").exists()


def test_confirming_the_plan_assigns_and_says_how_many(client_for, make_user):
    client, supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    first, second = make_user(Role.AGENT), make_user(Role.AGENT)
    x, y, z = CustomerFactory.create_batch(3)

    response = client.post(
        "/customers/assign/confirm/",
        {"pair": [f"{x.pk}:{second.pk}", f"{y.pk}:{second.pk}", f"{z.pk}:{first.pk}"]},
        follow=True,
    )

    assert response.redirect_chain == [("/customers/", 302)]
    assert "3 customers assigned." in response.content.decode()
    assert owners(x, y, z) == [second.pk, second.pk, first.pk]
    x.refresh_from_db()
    assert x.contact_due_at == x.owner_assigned_at + dt.timedelta(days=7)
    assert TimelineEntry.objects.filter(kind="customers.assigned", actor=supervisor).count() == 3


def test_a_stale_plan_shows_the_refusal_and_changes_nothing(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    agent = make_user(Role.AGENT)
    keep, gone, other = CustomerFactory.create_batch(3)
    Customer.objects.filter(pk=gone.pk).update(merged_into=keep)  # merged after the preview

    response = client.post(
        "/customers/assign/confirm/",
        {"pair": [f"{keep.pk}:{agent.pk}", f"{gone.pk}:{agent.pk}", f"{other.pk}:{agent.pk}"]},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Some customers or agents changed since the plan was made; make the plan again." in html
    assert hidden_values(html, "customer") == [str(keep.pk), str(other.pk)]  # ready to plan again
    assert owners(keep, gone, other) == [None, None, None]
    assert not TimelineEntry.objects.filter(kind="customers.assigned").exists()


def test_a_plan_naming_a_user_who_is_not_an_agent_changes_nothing(client_for, make_user):
    client, supervisor = client_for(Role.SUPERVISOR)
    customer = CustomerFactory()

    response = client.post(
        "/customers/assign/confirm/", {"pair": [f"{customer.pk}:{supervisor.pk}"]}
    )

    assert response.status_code == 200 and 'data-testid="assign-error"' in response.content.decode()
    assert owners(customer) == [None]


def test_an_unreadable_plan_changes_nothing(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    customer = CustomerFactory()
    for pairs in [[], ["nonsense"], [f"{customer.pk}:{agent.pk}", f"{customer.pk}:x"]]:
        assert client.post("/customers/assign/confirm/", {"pair": pairs}).status_code == 302
    assert owners(customer) == [None]


def test_ids_the_supervisor_cannot_plan_are_left_out_with_a_warning(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    keep, gone = CustomerFactory.create_batch(2)
    Customer.objects.filter(pk=gone.pk).update(merged_into=keep)

    html = client.post(
        "/customers/assign/", {"customer": [keep.pk, gone.pk, keep.pk + 1000, "abc"]}
    ).content.decode()

    assert hidden_values(html, "customer") == [str(keep.pk)]
    assert (
        "2 selected customers were left out: they have been merged or you may not see them." in html
    )


def test_assign_takes_every_customer_matching_the_list_filters(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    nanning = CustomerFactory.create_batch(2, city="南宁市")
    CustomerFactory(city="南宁市", owner=agent)
    CustomerFactory(city="柳州市")

    html = client.get("/customers/assign/", {"unassigned": "on", "city": "南宁市"}).content.decode()

    assert sorted(hidden_values(html, "customer")) == sorted(str(c.pk) for c in nanning)


def test_choosing_no_agent_is_refused_with_a_message(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    customer = CustomerFactory()
    html = client.post(
        "/customers/assign/", {"customer": [customer.pk], "step": "preview"}
    ).content.decode()
    assert "Choose at least one agent." in html and 'name="pair"' not in html


# --- the seven-day rule ------------------------------------------------------------------------


def test_an_agent_sees_only_their_customers_due_overdue_first_and_red(client_for, make_user):
    client, agent = client_for(Role.AGENT)
    colleague = make_user(Role.AGENT)
    now = timezone.now()
    later = CustomerFactory(owner=agent, contact_due_at=now + dt.timedelta(days=5))
    overdue = CustomerFactory(owner=agent, contact_due_at=now - dt.timedelta(days=1))
    CustomerFactory(owner=agent)  # contacted already: nothing due
    theirs = CustomerFactory(owner=colleague, contact_due_at=now - dt.timedelta(days=2))

    html = client.get("/customers/due/").content.decode()

    assert re.findall(r'data-testid="due-row-(\d+)"', html) == [str(overdue.pk), str(later.pk)]
    assert re.findall(
        r'data-testid="due-row-(\d+)" class="text-danger" data-overdue="true"', html
    ) == [str(overdue.pk)]
    assert f"due-row-{theirs.pk}" not in html
    assert 'name="overdue"' not in html  # the filter and owner column are for supervisors


def test_a_supervisor_sees_everyones_due_customers_and_can_keep_the_overdue_ones(
    client_for, make_user
):
    client, _supervisor = client_for(Role.SUPERVISOR)
    first, second = (
        make_user(Role.AGENT, display_name="赵六"),
        make_user(Role.AGENT, display_name="钱七"),
    )
    now = timezone.now()
    waiting = CustomerFactory(owner=first, contact_due_at=now + dt.timedelta(days=1))
    late = CustomerFactory(owner=second, contact_due_at=now - dt.timedelta(hours=1))

    html = client.get("/customers/due/").content.decode()
    assert re.findall(r'data-testid="due-row-(\d+)"', html) == [str(late.pk), str(waiting.pk)]
    assert "赵六" in html and "钱七" in html

    html = client.get("/customers/due/?overdue=on").content.decode()
    assert re.findall(r'data-testid="due-row-(\d+)"', html) == [str(late.pk)]


def test_recording_the_contact_takes_the_customer_off_the_due_list(client_for):
    client, agent = client_for(Role.AGENT)
    customer = CustomerFactory(owner=agent, contact_due_at=timezone.now() + dt.timedelta(days=2))
    client.post(f"/customers/{customer.pk}/contact/", {"kind": "call", "note": "已联系"})
    assert f"due-row-{customer.pk}" not in client.get("/customers/due/").content.decode()


def due_rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-testid="due-row-(\d+)"', html)]


def test_the_due_list_pages_by_due_date_without_repeats(client_for, monkeypatch):
    monkeypatch.setattr("kefu.customers.views.work.DUE_PAGE_SIZE", 2)
    client, agent = client_for(Role.AGENT)
    now = timezone.now()
    same = now + dt.timedelta(days=1)
    customers = [
        CustomerFactory(owner=agent, contact_due_at=due)
        for due in [same, now, same, now + dt.timedelta(days=3), same]
    ]
    seen, url = [], "/customers/due/"
    while url:
        html = client.get(url).content.decode()
        seen += due_rows(html)
        following = re.search(r'data-testid="next-page" href="([^"]*)"', html)
        url = "/customers/due/" + following.group(1).replace("&amp;", "&") if following else None
    expected = sorted(customers, key=lambda c: (c.contact_due_at, c.pk))
    assert seen == [c.pk for c in expected]


@pytest.mark.parametrize(
    "cursor", ["9" * 30 + "_1", "abc_def", "1_" + str(2**63), "_", "12", "-5_0", "1.5_2"]
)
def test_a_due_list_cursor_that_names_no_row_shows_the_first_page(client_for, cursor):
    client, agent = client_for(Role.AGENT)
    first = CustomerFactory(owner=agent, contact_due_at=timezone.now())
    response = client.get("/customers/due/", {"cursor": cursor})
    assert response.status_code == 200
    assert due_rows(response.content.decode()) == [first.pk]


def test_the_overdue_test_of_one_customer_agrees_with_the_query(make_user):
    now = timezone.now()
    agent = make_user(Role.AGENT)
    offsets = [None, -86400, -1, 0, 1, 86400]
    customers = [
        CustomerFactory(
            owner=agent, contact_due_at=None if o is None else now + dt.timedelta(seconds=o)
        )
        for o in offsets
    ]
    in_query = set(
        Customer.objects.filter(selectors.overdue_contact(now=now)).values_list("pk", flat=True)
    )
    answers = [selectors.is_contact_overdue(c, now=now) for c in customers]
    assert answers == [False, True, True, False, False, False]
    assert {c.pk for c, overdue in zip(customers, answers, strict=True) if overdue} == in_query


def test_overdue_is_one_rule_on_the_due_list_the_card_and_the_customer_page(client_for):
    client, agent = client_for(Role.AGENT)
    now = timezone.now()
    late = CustomerFactory(
        owner=agent, name="逾期客户", contact_due_at=now - dt.timedelta(minutes=1)
    )
    waiting = CustomerFactory(
        owner=agent, name="等待客户", contact_due_at=now + dt.timedelta(hours=1)
    )

    due_page = client.get("/customers/due/").content.decode()
    assert re.findall(r'data-testid="due-row-(\d+)" class="text-danger"', due_page) == [
        str(late.pk)
    ]
    workbench = client.get("/").content.decode()
    card = workbench[workbench.index('data-testid="card-contact-due"') :]
    assert "1 位已逾期" in card
    assert re.search(r"逾期客户</a> · <span class=\"text-danger\">", card)
    assert re.search(r"等待客户</a> · <span class=\"text-secondary\">", card)
    late_page = client.get(f"/customers/{late.pk}/").content.decode()
    waiting_page = client.get(f"/customers/{waiting.pk}/").content.decode()
    assert 'badge bg-red-lt" data-testid="contact-due"' in late_page
    assert 'badge bg-orange-lt" data-testid="contact-due"' in waiting_page


# --- duplicates and merging --------------------------------------------------------------------


def test_merge_from_the_duplicates_page_redirects_to_the_survivor(client_for, make_user):
    client, supervisor = client_for(Role.SUPERVISOR)
    left, right = CustomerFactory(name="刘洋"), CustomerFactory(name="刘洋 2")
    candidate = DuplicateCandidate.objects.create(customer=left, other=right, reason="同一手机号")
    assert (
        f'data-testid="candidate-{candidate.pk}"'
        in client.get("/customers/duplicates/").content.decode()
    )

    response = client.post(f"/customers/duplicates/{candidate.pk}/merge/", {"survivor": right.pk})

    assert (response.status_code, response["Location"]) == (302, f"/customers/{right.pk}/")
    left.refresh_from_db()
    candidate.refresh_from_db()
    assert (left.merged_into_id, candidate.status, candidate.decided_by) == (
        right.pk,
        DuplicateStatus.MERGED,
        supervisor,
    )
    assert AuditEntry.objects.filter(action=AuditAction.MERGE, object_id=str(right.pk)).count() == 1
    old = client.get(f"/customers/{left.pk}/")
    assert (old.status_code, old["Location"]) == (302, f"/customers/{right.pk}/")
    assert (
        f'data-testid="candidate-{candidate.pk}"'
        not in client.get("/customers/duplicates/").content.decode()
    )


def test_a_survivor_outside_the_pair_changes_nothing(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)
    left, right, stranger = CustomerFactory.create_batch(3)
    candidate = DuplicateCandidate.objects.create(customer=left, other=right, reason="同一邮箱")

    response = client.post(
        f"/customers/duplicates/{candidate.pk}/merge/", {"survivor": stranger.pk}
    )

    assert (response.status_code, response["Location"]) == (302, "/customers/duplicates/")
    assert list(Customer.objects.filter(merged_into__isnull=False)) == []
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN


def test_dismiss_marks_the_pair_as_two_customers_once(client_for, make_user):
    client, supervisor = client_for(Role.SUPERVISOR)
    left, right = CustomerFactory.create_batch(2)
    candidate = DuplicateCandidate.objects.create(customer=left, other=right, reason="同名")

    response = client.post(
        f"/customers/duplicates/{candidate.pk}/dismiss/", {"next": "/customers/duplicates/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/customers/duplicates/")
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.DISMISSED, supervisor)
    assert (
        f'data-testid="candidate-{candidate.pk}"'
        not in client.get("/customers/duplicates/").content.decode()
    )

    # Already decided: neither a merge nor another dismissal touches it.
    other_client, _other = client_for(Role.MANAGER)
    other_client.post(f"/customers/duplicates/{candidate.pk}/merge/", {"survivor": left.pk})
    other_client.post(f"/customers/duplicates/{candidate.pk}/dismiss/")
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.DISMISSED, supervisor)
    assert list(Customer.objects.filter(merged_into__isnull=False)) == []


def test_a_missing_candidate_is_a_404(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)
    assert client.post("/customers/duplicates/999/merge/", {"survivor": 1}).status_code == 404
    assert client.post("/customers/duplicates/999/dismiss/").status_code == 404


def test_manual_merge_from_a_profile(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    this = profiles.create_customer(actor=agent, name="黄磊")
    other = profiles.create_customer(
        actor=agent, name="黄磊（旧）", contacts=profiles.ContactPoints({"mobile": ["13600136000"]})
    )

    by_mobile = client.get(f"/customers/{this.pk}/merge/", {"q": "136 0013 6000"}).content.decode()
    assert f'data-testid="compare-{other.pk}"' in by_mobile
    by_number = client.get(f"/customers/{this.pk}/merge/", {"q": str(other.pk)}).content.decode()
    assert f'data-testid="compare-{other.pk}"' in by_number
    compare = client.get(f"/customers/{this.pk}/merge/", {"other": other.pk}).content.decode()
    assert (
        'data-testid="keep-left"' in compare
        and "136****6000" in compare
        and "13600136000" not in compare
    )

    response = client.post(
        f"/customers/{this.pk}/merge/", {"other": other.pk, "survivor": other.pk}
    )

    assert (response.status_code, response["Location"]) == (302, f"/customers/{other.pk}/")
    this.refresh_from_db()
    assert this.merged_into_id == other.pk
    assert client.get(f"/customers/{this.pk}/merge/")["Location"] == f"/customers/{other.pk}/merge/"


def test_manual_merge_with_itself_is_refused(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    customer = CustomerFactory()

    page = client.get(f"/customers/{customer.pk}/merge/", {"other": customer.pk}).content.decode()
    assert (
        "A customer cannot be merged with itself." in page and 'data-testid="keep-left"' not in page
    )
    response = client.post(
        f"/customers/{customer.pk}/merge/", {"other": customer.pk, "survivor": customer.pk}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.merged_into_id is None
    assert not AuditEntry.objects.filter(action=AuditAction.MERGE).exists()


def test_merging_with_an_already_merged_customer_is_refused(client_for):
    client, _supervisor = client_for(Role.SUPERVISOR)
    in_english(client)
    a, b, c = CustomerFactory.create_batch(3)
    Customer.objects.filter(pk=b.pk).update(merged_into=c)

    response = client.post(
        f"/customers/{a.pk}/merge/", {"other": b.pk, "survivor": a.pk}, follow=True
    )

    assert (
        "One of these customers has already been merged; reload the page."
        in response.content.decode()
    )
    assert list(
        Customer.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into")
    ) == [(b.pk, c.pk)]


# --- hostile strings ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["review", "assign", "due", "duplicates", "merge_with"])
def test_hostile_names_are_shown_as_inert_text(client_for, make_user, page):
    client, _supervisor = client_for(Role.SUPERVISOR)
    now = timezone.now()
    agents = [make_user(Role.AGENT, display_name=text[:60]) for text in HOSTILE_STRINGS]
    customers = [
        CustomerFactory(
            name=text, created_by=agent, owner=agent, contact_due_at=now, accuracy_flag=text
        )
        for text, agent in zip(HOSTILE_STRINGS, agents, strict=True)
    ]
    for first, second in itertools.pairwise(customers):
        DuplicateCandidate.objects.create(customer=first, other=second, reason=first.name)

    if page == "assign":
        response = client.post(
            "/customers/assign/",
            {
                "customer": [c.pk for c in customers],
                "agent": [a.pk for a in agents],
                "step": "preview",
            },
        )
    elif page == "merge_with":
        response = client.get(f"/customers/{customers[0].pk}/merge/", {"other": customers[1].pk})
    else:
        response = client.get(f"/customers/{page}/")

    assert response.status_code == 200
    body = response.content.decode()
    shown = HOSTILE_STRINGS[:2] if page == "merge_with" else HOSTILE_STRINGS
    for text in shown:
        assert escape(text) in body, text
    assert "<script>alert" not in body and "<img src=x" not in body


# --- API: merge --------------------------------------------------------------------------------


def call_merge_api(user, customer_id: int, duplicate_id: int):
    request = RequestFactory().post(f"/api/v1/customers/{customer_id}/merge")
    request.user = user
    return api_work.merge_customer(
        request, customer_id, api_work.MergeIn(duplicate_id=duplicate_id)
    )


def test_api_merge_returns_the_survivor(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    survivor = profiles.create_customer(
        actor=supervisor, name="马丽", contacts=profiles.ContactPoints({"mobile": ["13500135000"]})
    )
    duplicate = profiles.create_customer(
        actor=supervisor, name="马丽丽", city="桂林市", tags=["批发客户"]
    )

    body = call_merge_api(supervisor, survivor.pk, duplicate.pk)

    assert (body["id"], body["name"], body["city"], body["tags"], body["mobile"]) == (
        survivor.pk,
        "马丽",
        "桂林市",
        ["批发客户"],
        "135****5000",
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    with pytest.raises(
        Conflict
    ):  # the same request again: the duplicate now answers with the survivor
        call_merge_api(supervisor, survivor.pk, duplicate.pk)


@pytest.mark.parametrize("role", [Role.AGENT, Role.DEPARTMENT_STAFF, Role.INSPECTOR])
def test_api_merge_is_refused_without_the_assignment_right(make_user, role):
    user = make_user(role)
    left, right = CustomerFactory(owner=user), CustomerFactory(owner=user)
    with pytest.raises(PermissionDenied):
        call_merge_api(user, left.pk, right.pk)
    assert list(Customer.objects.filter(merged_into__isnull=False)) == []


def test_api_merge_of_a_missing_customer_is_a_404(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    customer = CustomerFactory()
    with pytest.raises(Http404):
        call_merge_api(supervisor, customer.pk, customer.pk + 1000)
    customer.refresh_from_db()
    assert customer.merged_into_id is None


def test_api_merge_through_the_mounted_api(client_for):
    assert resolve("/api/v1/customers/1/merge")  # mounted in kefu/api/__init__.py
    client, _supervisor = client_for(Role.SUPERVISOR)
    survivor, duplicate = CustomerFactory.create_batch(2)

    response = client.post(
        f"/api/v1/customers/{survivor.pk}/merge",
        {"duplicate_id": duplicate.pk},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["id"]) == (200, survivor.pk)
    again = client.post(
        f"/api/v1/customers/{survivor.pk}/merge",
        {"duplicate_id": duplicate.pk},
        content_type="application/json",
    )
    assert again.status_code == 409
    itself = client.post(
        f"/api/v1/customers/{survivor.pk}/merge",
        {"duplicate_id": survivor.pk},
        content_type="application/json",
    )
    assert itself.status_code == 400

    agent_client, agent = client_for(Role.AGENT)
    left, right = CustomerFactory.create_batch(2, owner=agent)
    refused = agent_client.post(
        f"/api/v1/customers/{left.pk}/merge",
        {"duplicate_id": right.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert list(
        Customer.objects.filter(merged_into__isnull=False).values_list("pk", flat=True)
    ) == [duplicate.pk]


def test_assigning_the_whole_unfiltered_list_takes_only_customers_without_an_owner(
    client_for, make_user
):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT)
    free = CustomerFactory.create_batch(2)
    CustomerFactory(owner=agent)

    response = client.get("/customers/assign/")
    html = response.content.decode()

    assert sorted(hidden_values(html, "customer")) == sorted(str(c.pk) for c in free)
    assert "只分配列表中尚无负责人的客户" in html


@pytest.mark.parametrize(
    ("role", "shown"),
    [(Role.AGENT, False), (Role.INSPECTOR, False), (Role.SUPERVISOR, True), (Role.MANAGER, True)],
)
def test_the_import_button_is_shown_only_to_those_who_may_import(client_for, role, shown):
    client, _user = client_for(role)
    html = client.get("/customers/").content.decode()
    assert ('data-testid="import-link"' in html) == shown
    assert (client.get("/customers/import/").status_code == 200) == shown
