"""Managers keep the complaint categories, their routing and the time limits on one settings page."""

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.tickets.models import RoutingRule, SlaPolicy, TicketCategory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def test_a_manager_builds_categories_routes_them_and_sets_time_limits(make_user, tech):
    client = sign_in(Client(), make_user(Role.MANAGER))
    assert "工单分类与时限" in client.get("/settings/").content.decode()
    client.post("/settings/tickets/categories/", {"name": "物流配送"})
    root = TicketCategory.objects.get(name="物流配送")
    client.post("/settings/tickets/categories/", {"name": "快递破损", "parent": root.pk})
    client.post(f"/settings/tickets/categories/{root.pk}/routing/", {"department": tech.pk})
    client.post(
        "/settings/tickets/time-limits/",
        {
            "name": "物流投诉",
            "category": root.pk,
            "priority": "",
            "first_response_minutes": 30,
            "stage_minutes": 240,
            "resolution_minutes": 1080,
        },
    )
    page = client.get("/settings/tickets/").content.decode()
    assert "物流配送" in page and "快递破损" in page and "物流投诉" in page
    assert RoutingRule.objects.get(category=root).department == tech
    assert SlaPolicy.objects.get(category=root, is_active=True).first_response_minutes == 30


def test_a_category_in_use_cannot_be_deleted_and_says_so(make_user, cast, new_complaint, category):
    new_complaint()
    client = sign_in(Client(), make_user(Role.MANAGER))
    page = client.post(
        f"/settings/tickets/categories/{category.pk}/delete/", follow=True
    ).content.decode()
    assert "请改为停用" in page
    assert TicketCategory.objects.filter(pk=category.pk).exists()
    client.post(f"/settings/tickets/categories/{category.pk}/active/", {"active": "0"})
    category.refresh_from_db()
    assert not category.is_active


def test_bad_time_limits_are_refused(make_user):
    client = sign_in(Client(), make_user(Role.MANAGER))
    page = client.post(
        "/settings/tickets/time-limits/",
        {"first_response_minutes": 0, "stage_minutes": -1, "resolution_minutes": "x"},
        follow=True,
    ).content.decode()
    assert "时限必须是正数" in page and not SlaPolicy.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.DEPARTMENT_STAFF, Role.INSPECTOR]
)
def test_only_managers_change_ticket_settings(make_user, role):
    client = sign_in(Client(), make_user(role))
    assert client.get("/settings/tickets/").status_code == 403
    assert client.post("/settings/tickets/categories/", {"name": "偷偷加的"}).status_code == 403
    assert not TicketCategory.objects.exists()
