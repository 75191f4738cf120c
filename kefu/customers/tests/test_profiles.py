"""Capture, search, the profile page with its timeline, reveal, and the customers API."""

import pytest
from django.test import Client

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.core import timeline
from kefu.customers import identities
from kefu.customers.models import ContactIdentity, Customer, IdentityKind
from kefu.customers.selectors import search_customers
from kefu.customers.services import profiles

pytestmark = pytest.mark.django_db


def make_customer(actor, name="张伟", mobiles=("13800138000",), **profile):
    return profiles.create_customer(
        actor=actor,
        name=name,
        contacts=profiles.ContactPoints({IdentityKind.MOBILE: list(mobiles)}),
        **profile,
    )


@pytest.mark.parametrize(
    "typed", ["+86 138-0013-8000", "13800138000", "１３８００１３８０００", "(+86) 138 0013 8000"]
)
def test_one_mobile_however_it_is_typed(typed):
    assert identities.normalise_mobile(typed) == "+8613800138000"


@pytest.mark.parametrize(
    ("kind", "value"),
    [("mobile", "12345"), ("mobile", "0771-5551234"), ("email", "not-mail"), ("qq", "12ab")],
)
def test_bad_contact_points_are_refused(kind, value):
    with pytest.raises(identities.InvalidIdentity):
        identities.normalise(kind, value)


def test_capture_refuses_a_number_that_belongs_to_another_customer(make_user):
    agent = make_user(Role.AGENT)
    first = make_customer(agent)
    with pytest.raises(profiles.IdentityTaken) as taken:
        make_customer(agent, name="张伟2", mobiles=["+86 138 0013 8000"])
    assert taken.value.other == first
    assert Customer.objects.count() == 1


def test_the_create_page_points_to_the_existing_customer(client_for):
    client, agent = client_for(Role.AGENT)
    existing = make_customer(agent, name="李娜")
    response = client.post(
        "/customers/new/",
        {
            "name": "李娜娜",
            "gender": "female",
            "mobiles": "138 0013 8000",
            "level": "regular",
            "source": "phone",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "李娜" in body and f'href="/customers/{existing.pk}/"' in body
    assert Customer.objects.count() == 1
    hint = client.get(
        "/customers/check/", {"kind": "mobile", "value": "13800138000"}
    ).content.decode()
    assert "李娜" in hint and 'data-testid="duplicate-hint"' in hint


def test_capture_through_the_page(client_for):
    client, agent = client_for(Role.AGENT)
    response = client.post(
        "/customers/new/",
        {
            "name": "王芳",
            "gender": "female",
            "mobiles": "13912345678\n+86 137 0000 1111",
            "email": "Wang.Fang@Example.cn",
            "wechat": "wxid_wangfang",
            "region": "广西壮族自治区",
            "city": "南宁市",
            "district": "青秀区",
            "street": "新竹街道",
            "address": "民族大道100号",
            "level": "vip",
            "source": "phone",
            "tags": "老客户，节日问候",
        },
    )
    customer = Customer.objects.get(name="王芳")
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert customer.mobile == "+8613912345678" and customer.mobile_last4 == "5678"
    assert customer.email == "wang.fang@example.cn"
    assert customer.completeness == 100
    assert sorted(customer.identities.values_list("kind", "value")) == [
        ("email", "wang.fang@example.cn"),
        ("mobile", "+8613700001111"),
        ("mobile", "+8613912345678"),
        ("wechat", "wxid_wangfang"),
    ]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["老客户", "节日问候"]
    assert customer.created_by == agent
    assert [e.kind for e in timeline.entries_for_customer(customer.pk)] == ["customers.created"]


def test_a_bad_number_names_the_problem_and_saves_nothing(client_for):
    client, _agent = client_for(Role.AGENT)
    response = client.post(
        "/customers/new/",
        {
            "name": "赵六",
            "gender": "male",
            "mobiles": "12345",
            "level": "regular",
            "source": "phone",
        },
    )
    assert "“12345”不是有效的电话号码。" in response.content.decode()
    assert not Customer.objects.exists()


def test_search_by_name_last_four_full_mobile_email_and_identity(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    make_customer(supervisor, name="张伟", mobiles=["13800138000"], email="zw@example.cn")
    li = make_customer(supervisor, name="李娜", mobiles=["13912348000"])
    profiles.update_customer(
        actor=supervisor,
        customer=li,
        contacts=profiles.ContactPoints({IdentityKind.WECHAT: ["wxid_lina"]}),
    )

    def names(**kwargs):
        return [c.name for c in search_customers(actor=supervisor, **kwargs)]

    assert names(q="张") == ["张伟"]
    assert names(q="8000") == ["李娜", "张伟"]
    assert names(q="138 0013 8000") == ["张伟"]
    assert names(q="ZW@example.cn") == ["张伟"]
    assert names(q="wxid_lina") == ["李娜"]
    assert names(q="王") == []


def test_agents_find_only_their_customers_supervisors_all(make_user):
    agent, other, supervisor = (
        make_user(Role.AGENT),
        make_user(Role.AGENT),
        make_user(Role.SUPERVISOR),
    )
    mine = make_customer(agent, name="甲", mobiles=["13800000001"])
    theirs = make_customer(other, name="乙", mobiles=["13800000002"])
    assert list(search_customers(actor=agent)) == [mine]
    assert set(search_customers(actor=supervisor)) == {mine, theirs}


def test_another_agents_customer_answers_404_and_is_audited(client_for, make_user):
    client, agent = client_for(Role.AGENT)
    theirs = make_customer(make_user(Role.AGENT), name="乙")
    assert client.get(f"/customers/{theirs.pk}/").status_code == 404
    assert client.get("/customers/999999/").status_code == 404
    assert client.get(f"/api/v1/customers/{theirs.pk}").status_code == 404
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.ACCESS_DENIED, actor=agent, object_id=str(theirs.pk)
        ).count()
        == 2
    )


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.DEPARTMENT_STAFF])
def test_roles_that_do_not_serve_customers_get_403_on_the_archive(client_for, role):
    client, _user = client_for(role)
    assert client.get("/customers/").status_code == 403
    assert client.get("/api/v1/customers").status_code == 403


def test_the_profile_masks_and_reveals_with_an_audit_row(client_for):
    client, agent = client_for(Role.AGENT)
    customer = make_customer(agent, mobiles=["13912345678"])
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page and "+8613912345678" not in page
    identity = customer.identities.get(kind="mobile")
    revealed = client.post(f"/customers/{customer.pk}/reveal/{identity.pk}/").content.decode()
    assert "139 1234 5678" in revealed
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert (entry.actor, entry.object_id, entry.object_repr) == (agent, str(customer.pk), "张伟")
    assert "5678" not in entry.object_repr + str(entry.details)


def test_record_contact_and_timeline_filters(client_for):
    client, agent = client_for(Role.AGENT)
    customer = make_customer(agent)
    client.post(f"/customers/{customer.pk}/contact/", {"kind": "call", "note": "确认收货地址"})
    all_entries = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "电话：确认收货地址" in all_entries and "客户档案已创建" in all_entries
    contacts_only = client.get(
        f"/customers/{customer.pk}/?kind=customers.contacted"
    ).content.decode()
    assert "电话：确认收货地址" in contacts_only and "客户档案已创建" not in contacts_only


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_hostile_names_are_stored_as_typed_and_shown_as_text(client_for, text):
    client, agent = client_for(Role.AGENT)
    customer = make_customer(agent, name=text)
    assert Customer.objects.get(pk=customer.pk).name == text.strip()[:60]
    for url in ["/customers/", f"/customers/{customer.pk}/", f"/customers/{customer.pk}/edit/"]:
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url


def test_api_create_get_update_and_duplicates(client_for):
    client, _agent = client_for(Role.AGENT)
    created = client.post(
        "/api/v1/customers",
        {"name": "陈静", "mobiles": ["13700001234"], "level": "member", "tags": ["批发客户"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["mobile"], body["tags"]) == ("陈静", "137****1234", ["批发客户"])
    again = client.post(
        "/api/v1/customers",
        {"name": "陈静2", "mobiles": ["137 0000 1234"]},
        content_type="application/json",
    )
    assert again.status_code == 409 and "陈静" in again.json()["detail"]
    patched = client.patch(
        f"/api/v1/customers/{body['id']}",
        {"city": "柳州市", "level": "vip"},
        content_type="application/json",
    )
    assert (patched.json()["city"], patched.json()["level"]) == ("柳州市", "vip")
    bad = client.patch(
        f"/api/v1/customers/{body['id']}", {"level": "platinum"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert Customer.objects.get(pk=body["id"]).level == "vip"
    listed = client.get("/api/v1/customers", {"q": "1234"}).json()
    assert [c["name"] for c in listed["items"]] == ["陈静"]


def test_the_agents_archive_in_a_browser_session_is_chinese(make_user):
    agent = make_user(Role.AGENT)
    make_customer(agent)
    client = sign_in(Client(), agent)
    html = client.get("/customers/").content.decode()
    assert '<span class="nav-link-title">客户</span>' in html
    assert "138****8000" in html
    assert ContactIdentity.objects.count() == 1
