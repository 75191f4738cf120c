"""The duplicate-mobile check names a customer only to those who may open it (issue 10.14).

Seen on the running product: an agent who gets 404 on customer 5080 learned its name and id from the
409 when creating a customer with that mobile. Now the agent learns that the number belongs to
another customer, and may ask a supervisor to assign that customer to them; supervisors are told."""

import pytest
from django.utils import translation

from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.customers.services import profiles
from kefu.notifications.models import Notification

pytestmark = pytest.mark.django_db

HIDDEN_NAME = "欧阳娜娜"
MOBILE = "13800138000"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def hidden(make_user):
    """A customer of another agent: created and owned by them, never served by the one asking."""
    owner = make_user(Role.AGENT)
    customer = profiles.create_customer(
        actor=owner,
        name=HIDDEN_NAME,
        contacts=profiles.ContactPoints({"mobile": [MOBILE]}),
    )
    Customer.objects.filter(pk=customer.pk).update(owner=owner)
    return customer


def leaks(text: str, customer: Customer) -> list[str]:
    return [
        part
        for part in (customer.name, f"/customers/{customer.pk}/", f"（编号 {customer.pk}）")
        if part in text
    ]


def test_an_agent_who_may_not_open_the_customer_is_not_told_who_it_is(client_for, hidden):
    client, _agent = client_for(Role.AGENT)
    assert client.get(f"/customers/{hidden.pk}/").status_code == 404

    page = client.post(
        "/customers/new/",
        {
            "name": "王芳",
            "gender": "female",
            "mobiles": "138 0013 8000",
            "level": "regular",
            "source": "phone",
        },
    )
    api = client.post(
        "/api/v1/customers",
        {"name": "王芳", "mobiles": ["+86 138 0013 8000"]},
        content_type="application/json",
    )
    hint = client.get("/customers/check/", {"kind": "mobile", "value": MOBILE})

    body = page.content.decode()
    assert page.status_code == 200
    assert (
        "手机 +8613800138000 已属于另一位客户，您无权查看其档案。请主管把该客户分配给您。" in body
    )
    assert 'data-testid="request-assignment"' in body
    assert leaks(body, hidden) == []
    assert api.status_code == 409
    assert api.json()["detail"] == (
        "手机 +8613800138000 已属于另一位客户，您无权查看其档案。请主管把该客户分配给您。"
    )
    assert leaks(api.content.decode(), hidden) == []
    assert leaks(hint.content.decode(), hidden) == []
    assert 'data-testid="request-assignment"' in hint.content.decode()
    assert Customer.objects.count() == 1


def test_adding_the_number_to_an_own_customer_does_not_name_the_other_either(client_for, hidden):
    client, agent = client_for(Role.AGENT)
    mine = profiles.create_customer(actor=agent, name="王芳")

    page = client.post(
        f"/customers/{mine.pk}/edit/",
        {
            "name": "王芳",
            "gender": "female",
            "mobiles": MOBILE,
            "level": "regular",
            "source": "phone",
        },
    )
    api = client.patch(
        f"/api/v1/customers/{mine.pk}", {"mobiles": [MOBILE]}, content_type="application/json"
    )

    assert page.status_code == 200 and "已属于另一位客户" in page.content.decode()
    assert leaks(page.content.decode(), hidden) == []
    assert api.status_code == 409 and leaks(api.content.decode(), hidden) == []


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.MANAGER])
def test_those_who_may_open_it_are_told_which_customer(client_for, hidden, role):
    client, _user = client_for(role)
    page = client.post(
        "/customers/new/",
        {
            "name": "王芳",
            "gender": "female",
            "mobiles": MOBILE,
            "level": "regular",
            "source": "phone",
        },
    ).content.decode()
    api = client.post(
        "/api/v1/customers", {"name": "王芳", "mobiles": [MOBILE]}, content_type="application/json"
    )
    assert HIDDEN_NAME in page and f'href="/customers/{hidden.pk}/"' in page
    assert 'data-testid="request-assignment"' not in page
    assert api.status_code == 409
    assert HIDDEN_NAME in api.json()["detail"] and str(hidden.pk) in api.json()["detail"]


def test_the_agent_asks_a_supervisor_to_assign_it_and_supervisors_are_told(
    client_for, make_user, hidden, django_capture_on_commit_callbacks
):
    client, agent = client_for(Role.AGENT, display_name="小王")
    supervisor = make_user(Role.SUPERVISOR)
    manager = make_user(Role.MANAGER)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/customers/request-assignment/",
            {"kind": "mobile", "value": "138 0013 8000"},
            HTTP_HX_REQUEST="true",
        )

    assert answer.status_code == 200
    assert "已请主管把该客户分配给您，分配后您会收到通知。" in answer.content.decode()
    assert leaks(answer.content.decode(), hidden) == []
    told = Notification.objects.filter(kind="customers.assignment_requested")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [supervisor.pk, manager.pk]
    )
    assert {(n.title, n.link) for n in told} == {
        (f"小王 请求把客户 {HIDDEN_NAME}（编号 {hidden.pk}）分配给自己", f"/customers/{hidden.pk}/")
    }
    assert not Notification.objects.filter(recipient=agent).exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            "/api/v1/customers/assignment-requests",
            {"kind": "mobile", "value": MOBILE},
            content_type="application/json",
        )
    assert again.status_code == 202
    assert leaks(again.content.decode(), hidden) == []
    assert told.count() == 2  # not told twice while the first notice is unread
    assert client.get(f"/customers/{hidden.pk}/").status_code == 404  # asking opens nothing


def test_asking_for_a_customer_one_may_open_or_an_unknown_number_is_refused(client_for, hidden):
    client, _agent = client_for(Role.AGENT)
    unknown = client.post(
        "/api/v1/customers/assignment-requests",
        {"kind": "mobile", "value": "13900139000"},
        content_type="application/json",
    )
    assert unknown.status_code == 400
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    visible = supervisor_client.post(
        "/api/v1/customers/assignment-requests",
        {"kind": "mobile", "value": MOBILE},
        content_type="application/json",
    )
    assert visible.status_code == 400
    assert not Notification.objects.exists()
    staff_client, _staff = client_for(Role.DEPARTMENT_STAFF)
    assert (
        staff_client.post(
            "/api/v1/customers/assignment-requests",
            {"kind": "mobile", "value": MOBILE},
            content_type="application/json",
        ).status_code
        == 403
    )
