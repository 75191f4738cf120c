"""SMS templates: supervisors and managers keep them on a page, and a message is sent only with the
values its template needs."""

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.core.errors import DomainError, PermissionRefused
from kefu.sms.models import SmsMessage, SmsTemplate
from kefu.sms.services import create_sms_template, send_sms

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = sign_in(Client(), user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


FORM = {
    "code": "visit",
    "name": "回访提醒",
    "provider_template_id": "SMS_000002",
    "body": "${name}您好，我们将于{time}就您的{number}进行回访。{note}",
    "optional_variables": "note",
}


def test_a_supervisor_adds_edits_and_deletes_a_template(make_user):
    client = signed_in(make_user(Role.SUPERVISOR))
    assert client.get("/sms/templates/").status_code == 200
    response = client.post("/sms/templates/new/", FORM)
    assert response.status_code == 302
    template = SmsTemplate.objects.get(code="visit")
    assert (
        template.name,
        template.provider_template_id,
        template.body,
        template.optional_variables,
    ) == (
        "回访提醒",
        "SMS_000002",
        "{name}您好，我们将于{time}就您的{number}进行回访。{note}",
        ["note"],
    )  # Aliyun's ${name} → {name}
    assert template.required_variables == ["name", "time", "number"]
    page = client.get("/sms/templates/").content.decode()
    assert "回访提醒" in page and "note?" in page

    edited = client.post(
        f"/sms/templates/{template.pk}/",
        {**FORM, "code": "changed", "name": "回访通知", "optional_variables": ""},
    )
    assert edited.status_code == 302
    template.refresh_from_db()
    assert (template.code, template.name, template.optional_variables) == (
        "visit",
        "回访通知",
        [],
    )  # the code stays

    assert client.post(f"/sms/templates/{template.pk}/delete/").status_code == 302
    assert not SmsTemplate.objects.exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"body": "您好{ name }，"}, "Write variables as {name}"),
        ({"body": "您好{1}，"}, "Write variables as {name}"),
        ({"body": "您好{name，"}, "Write variables as {name}"),
        ({"optional_variables": "note, nobody"}, "Not a variable of the text: nobody."),
        ({"code": "带中文"}, "A code is 1 to 40 lower-case letters"),
        ({"provider_template_id": "SMS 1"}, "without spaces"),
        ({"name": "   "}, "This field is required."),
    ],
)
def test_a_template_that_would_not_work_is_refused_and_says_why(make_user, change, error):
    client = signed_in(make_user(Role.MANAGER))
    page = client.post("/sms/templates/new/", {**FORM, **change}).content.decode()
    assert error in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert not SmsTemplate.objects.exists()


def test_a_code_is_used_once(make_user):
    client = signed_in(make_user(Role.MANAGER))
    client.post("/sms/templates/new/", FORM)
    page = client.post("/sms/templates/new/", {**FORM, "name": "另一个"}).content.decode()
    assert "There is already an SMS template with the code “visit”." in page
    assert list(SmsTemplate.objects.values_list("name", flat=True)) == ["回访提醒"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF])
def test_other_roles_may_not_manage_templates(make_user, role):
    template = SmsTemplate.objects.create(code="dispatch", name="派工通知", body="您好，{name}。")
    client = signed_in(make_user(role))
    assert client.get("/sms/templates/").status_code == 403
    assert client.post("/sms/templates/new/", FORM).status_code == 403
    assert (
        client.post(f"/sms/templates/{template.pk}/", {**FORM, "name": "改了"}).status_code == 403
    )
    assert client.post(f"/sms/templates/{template.pk}/delete/").status_code == 403
    assert list(SmsTemplate.objects.values_list("code", "name")) == [("dispatch", "派工通知")]
    with pytest.raises(PermissionRefused):
        create_sms_template(actor=make_user(role), code="x", name="x", body="x")


def test_a_missing_template_is_404(make_user):
    client = signed_in(make_user(Role.SUPERVISOR))
    assert client.get("/sms/templates/999/").status_code == 404
    assert client.post("/sms/templates/999/delete/").status_code == 404


@pytest.fixture
def visit(db):
    return SmsTemplate.objects.create(
        code="visit",
        name="回访提醒",
        body="{name}您好，我们将于{time}回访。{note}",
        optional_variables=["note"],
    )


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_sending_needs_every_required_value(visit):
    with pytest.raises(DomainError, match=r"^The template needs values for: time\.$"):
        send_sms("13800138000", "visit", {"name": "张伟"})
    with pytest.raises(DomainError, match=r"^The template needs values for: name, time\.$"):
        send_sms("13800138000", "visit", {"name": "  ", "time": ""})  # blank is missing
    assert not SmsMessage.objects.exists()


def test_sending_refuses_values_the_template_does_not_have(visit):
    with pytest.raises(DomainError, match="has no variable named: numbr"):
        send_sms("13800138000", "visit", {"name": "张伟", "time": "明天", "numbr": "T1"})
    assert not SmsMessage.objects.exists()


def test_sending_with_an_unknown_template_is_refused(visit):
    with pytest.raises(DomainError, match=r"^There is no SMS template with the code “nope”\.$"):
        send_sms("13800138000", "nope", {"name": "张伟"})
    assert not SmsMessage.objects.exists()


def test_an_optional_value_may_be_left_out(visit):
    result = send_sms("13800138000", "visit", {"name": "张伟", "time": "明天上午"})
    message = SmsMessage.objects.get(pk=result.message_id)
    assert result.ok and message.params == {"name": "张伟", "time": "明天上午", "note": ""}
    assert message.body == "张伟您好，我们将于明天上午回访。"
