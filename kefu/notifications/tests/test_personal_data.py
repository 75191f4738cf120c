"""What notifications hold of a customer (notifications.personal_data): the notice to the
developers about a problem one of the customer's reports titled quotes their words, so it is in
their copy (made before any erasure, while the problem still has its title) and blanked by the
erasure (after feedback's part blanked the problem's title)."""

import pytest

from kefu.accounts.roles import Role
from kefu.core import personal_data as pd
from kefu.customers.models import Customer
from kefu.feedback import personal_data as feedback_data
from kefu.feedback.services import group_report, submit_report
from kefu.notifications import personal_data
from kefu.notifications.models import Notification
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_notice_about_a_problem_their_report_titled_is_in_the_copy_and_erased(
    make_user, django_capture_on_commit_callbacks
):
    developer = make_user(Role.DEPARTMENT_STAFF, department=DepartmentFactory(code="tech"))
    agent = make_user(Role.AGENT)
    zhang, li = Customer.objects.create(name="张伟"), Customer.objects.create(name="李娜")
    title = "张伟的手机收不到验证码"

    def problem_of(customer, words: str, problem_title: str = ""):
        report = submit_report(
            actor=agent,
            customer=customer,
            channel="phone",
            category="bug",
            severity="normal",
            title=words,
        )
        with django_capture_on_commit_callbacks(execute=True):  # the developers are told
            return group_report(actor=agent, report_id=report.pk, title=problem_title)

    theirs = problem_of(zhang, title)
    problem_of(li, "李娜登录不了")
    problem_of(zhang, "张伟说闪退", problem_title="安卓12启动闪退")  # a title of the desk's own
    told = {n.title for n in Notification.objects.filter(recipient=developer)}
    assert len(told) == 3 and any(title in t for t in told)

    [copy] = personal_data.export(zhang)
    assert [row["link"] for row in copy.rows] == [f"/feedback/problems/{theirs.pk}/"]
    assert title in copy.rows[0]["title"]

    feedback_data.erase(zhang)  # feedback's part first (order 40), then notifications' (60)
    assert personal_data.erase(zhang) == {"notifications": 1}
    titles = sorted(Notification.objects.values_list("title", flat=True))
    assert pd.ERASED in titles and not any(title in t for t in titles)
    assert any("李娜登录不了" in t for t in titles) and any("安卓12启动闪退" in t for t in titles)
