"""The archive's search by words (kefu.core.search): a name, a mobile, a word of the address or of
the notes finds the customer on the list page and in the API; a change is found at once; a merged
record is not found; an agent finds only the customers they may see; hostile queries are inert;
`search_rebuild` writes the documents again. Runs on SQLite and on PostgreSQL alike."""

import re

import pytest
from django.core.management import call_command

from conftest import HOSTILE_CONTROL_STRINGS, HOSTILE_STRINGS
from kefu.accounts.roles import Role
from kefu.customers.models import CustomerSearchDocument, IdentityKind
from kefu.customers.services import merging, profiles

pytestmark = pytest.mark.django_db


def make_customer(actor, name="张伟", mobiles=("13812345678",), **profile):
    return profiles.create_customer(
        actor=actor,
        name=name,
        contacts=profiles.ContactPoints({IdentityKind.MOBILE: list(mobiles)}),
        **profile,
    )


def api_ids(client, q: str) -> list[int]:
    response = client.get("/api/v1/customers", {"q": q})
    assert response.status_code == 200, response.content[:300]
    return [c["id"] for c in response.json()["items"]]


def page_ids(client, q: str) -> list[int]:
    response = client.get("/customers/", {"q": q})
    assert response.status_code == 200
    return [int(i) for i in re.findall(r'href="/customers/(\d+)/"', response.content.decode())]


@pytest.fixture
def supervisor(client_for):
    return client_for(Role.SUPERVISOR)


@pytest.fixture
def zhang(supervisor):
    _client, user = supervisor
    return make_customer(
        user,
        address="朝阳区建国路88号华贸中心",
        city="北京",
        notes="喜欢在周末收货，对包装要求很高",
        member_no="VIP20261234",
    )


@pytest.mark.parametrize(
    "query",
    ["张伟", "张", "建国路", "朝阳", "北京", "包装", "13812345678", "138123", "5678", "vip2026"],
)
def test_a_name_mobile_address_or_note_word_finds_the_customer(supervisor, zhang, query):
    client, user = supervisor
    other = make_customer(user, name="李娜", mobiles=["13900001111"], address="浦东新区世纪大道")
    assert api_ids(client, query) == [zhang.pk]
    assert zhang.pk in page_ids(client, query) and other.pk not in page_ids(client, query)


def test_an_account_name_finds_its_customer(supervisor):
    client, user = supervisor
    customer = profiles.create_customer(
        actor=user,
        name="王芳",
        contacts=profiles.ContactPoints({IdentityKind.WECHAT: ["wangfang_88"]}),
    )
    assert api_ids(client, "wangfang_88") == [customer.pk]


def test_a_change_is_found_at_once_and_the_old_words_no_longer(supervisor, zhang):
    client, user = supervisor
    profiles.update_customer(actor=user, customer=zhang, address="海淀区中关村大街1号")
    assert api_ids(client, "中关村") == [zhang.pk]
    assert api_ids(client, "建国路") == []
    profiles.update_customer(
        actor=user,
        customer=zhang,
        contacts=profiles.ContactPoints({IdentityKind.MOBILE: ["13677778888"]}),
    )
    assert api_ids(client, "136777") == [zhang.pk]


def test_a_merged_record_is_found_as_its_survivor_only(supervisor, zhang):
    client, user = supervisor
    twin = make_customer(user, name="张伟伟", mobiles=["13711112222"], address="天河区体育西路")
    merging.merge_customers(actor=user, survivor=zhang, duplicate=twin)
    assert api_ids(client, "137111") == [zhang.pk]  # its mobile moved to the survivor
    assert api_ids(client, "体育西路") == []
    assert not CustomerSearchDocument.objects.filter(pk=twin.pk).exists()


def test_an_agent_finds_only_the_customers_they_may_see(client_for, supervisor, zhang):
    agent_client, agent = client_for(Role.AGENT)
    mine = make_customer(agent, name="张三", mobiles=["13955556666"], address="建国路1号")
    assert api_ids(agent_client, "建国路") == [mine.pk]
    assert api_ids(agent_client, "张") == [mine.pk]
    assert page_ids(agent_client, "建国路") == [mine.pk]
    assert sorted(api_ids(supervisor[0], "建国路")) == sorted([zhang.pk, mine.pk])


@pytest.mark.parametrize(
    "query",
    [
        *HOSTILE_STRINGS,
        *HOSTILE_CONTROL_STRINGS,
        '"',
        "*",
        "建*",
        "建国路 OR 浦东",
        "NEAR(建国路 包装)",
        "body:建国路",
        "建国路' & '浦东",
        "%",
        "_",
        "a" * 10000,
    ],
)
def test_hostile_queries_are_words_and_never_an_error(supervisor, zhang, query):
    client, _user = supervisor
    assert zhang.pk not in api_ids(client, query)
    page_ids(client, query)  # answers (a query over 60 characters lists without it)
    assert zhang.pk not in page_ids(client, query[:60])


def test_search_rebuild_writes_the_documents_again(supervisor, zhang):
    client, _user = supervisor
    CustomerSearchDocument.objects.all().delete()
    assert api_ids(client, "建国路") == []
    call_command("search_rebuild", "customers.customer", verbosity=0)
    assert api_ids(client, "建国路") == [zhang.pk]


def test_imported_customers_have_the_documents_the_services_write(supervisor):
    """The import builds each document from the rows it wrote (no read back): the same words as a
    document made from the saved customer, and the customers are found at once."""
    from kefu.core import search
    from kefu.core.search.backends import document_tokens_of
    from kefu.customers.documents import CUSTOMERS
    from kefu.customers.models import Customer
    from kefu.customers.tests.test_transfer import confirm, csv_bytes, upload_job

    client, _user = supervisor
    rows = [
        [
            "姓名",
            "手机",
            "联系电话",
            "邮箱",
            "微信",
            "省份",
            "城市",
            "街道",
            "地址",
            "会员号",
            "备注",
        ],
        [
            "欧阳娜娜",
            "13800138000",
            "0771-2345678",
            "nana@example.cn",
            "wx_nana",
            "广西",
            "南宁市",
            "民族大道",
            "青秀区民族大道100号",
            "VIP0001",
            "周末收货",
        ],
        ["张三丰", "139 0013 9000", "", "", "", "广东", "广州市", "", "天河路1号", "", "要发票"],
    ]
    job = upload_job(client, "名单.csv", csv_bytes(rows))
    confirm(client, job)

    customers = list(CUSTOMERS.objects())
    assert len(customers) == 2
    written = document_tokens_of(
        using="default",
        table=CustomerSearchDocument._meta.db_table,
        pk=CustomerSearchDocument._meta.pk.column,
        ids=[c.pk for c in customers],
    )  # as stored: text on SQLite, a tsvector on PostgreSQL
    for customer in customers:
        expected = search.document_tokens(**vars(CUSTOMERS.document(customer)))
        assert written[customer.pk] == set(expected), customer.name
    nana = Customer.objects.get(name="欧阳娜娜").pk
    for query in ("欧阳", "民族大道", "138001", "7712345678", "nana", "wx_nana", "vip0001", "收货"):
        assert api_ids(client, query) == [nana], query
    assert api_ids(client, "13900139000") == [Customer.objects.get(name="张三丰").pk]
