"""Item 5 of the rest of issue 14: quality in the reports — the quality score and the complaints by
agent and team, the performance sheets' score (for those who evaluate)."""

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.quality.models import PerformanceSheet
from kefu.quality.tests.conftest import GOOD_CHAT, old_agent, served_chat
from kefu.quality.tests.test_performance import COMPLAINT_CHAT
from tests.clock import today

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_quality_score_and_complaints_by_agent(client_for, no_random_sample):
    client, _supervisor = client_for(Role.SUPERVISOR)
    agent = old_agent(display_name="质检对象")
    served_chat(agent, GOOD_CHAT)
    served_chat(agent, COMPLAINT_CHAT)
    index = client.get("/reports/").content.decode()
    assert "/reports/quality_score/" in index and "/reports/complained_chats/" in index
    page = client.get(f"/reports/quality_score/?since={today()}&until={today()}")
    assert page.status_code == 200 and "质检对象" in page.content.decode()
    share = client.get(f"/reports/complained_chats/?since={today()}&until={today()}")
    assert share.status_code == 200 and "50" in share.content.decode()


def test_the_performance_score_is_for_those_who_evaluate(client_for, make_user):
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    agent = make_user(Role.AGENT, display_name="绩效对象")
    supervisor_client.post(
        "/quality/performance/compute/", {"month": timezone.localdate().strftime("%Y-%m")}
    )
    sheet = PerformanceSheet.objects.get(agent=agent)
    PerformanceSheet.objects.filter(pk=sheet.pk).update(score=88.0)
    supervisor_client.post(f"/quality/performance/{sheet.pk}/sign/")
    page = supervisor_client.get(f"/reports/performance_score/?since={today()}&until={today()}")
    assert page.status_code == 200 and "绩效对象" in page.content.decode()
    inspector_client, _inspector = client_for(Role.INSPECTOR)
    assert inspector_client.get("/reports/performance_score/").status_code in (403, 404)
    assert "/reports/performance_score/" not in inspector_client.get("/reports/").content.decode()
