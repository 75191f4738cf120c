"""The reports page in the words of a report: the shared msgids it uses must not carry another app's
meaning (the period filter once read 回访周期, a visit plan's period; a score read 4.11 分值)."""

import re

from kefu.accounts.models import Department, Team
from kefu.accounts.roles import Role
from kefu.tickets.models import TicketCategory


def test_the_period_filter_and_the_score_unit_read_as_a_report_does(client_for):
    client, _ = client_for(Role.SUPERVISOR)
    page = client.get("/reports/").content.decode()
    label = re.search(r'<label class="form-label" for="f-period">([^<]+)</label>', page)
    assert label and label.group(1) == "周期"
    units = re.findall(r'<small class="text-secondary">([^<]+)</small>', page)
    assert "分" in units and "分值" not in units


def test_the_reports_and_region_pages_pick_an_agent_and_a_channel_from_a_list(
    client_for, make_user
):
    """On the pages of several figures the filters were free text, where a typed name matched nothing
    (the figures filter by the agent's id): they are lists, like on one figure's page."""
    agent = make_user(Role.AGENT, username="wang", display_name="王芳")
    service = Department.objects.create(code="cs-words", name="客服部（报表）")
    Team.objects.create(name="售后组", department=service)
    TicketCategory.objects.create(name="物流")
    client, _ = client_for(Role.SUPERVISOR)
    for url in ("/reports/", "/reports/regions/"):
        page = client.get(url).content.decode()
        for name in ("agent", "team", "channel", "category", "level"):
            assert re.search(rf'<select class="form-select" id="f-{name}"', page), (url, name)
        agents = re.search(r'<select[^>]*id="f-agent".*?</select>', page, re.S).group(0)
        assert f'<option value="{agent.pk}">王芳</option>' in agents
        # a province is still typed: the archive holds whatever was written there
        assert '<input class="form-control" id="f-region"' in page
    chosen = client.get(f"/reports/?agent={agent.pk}").content.decode()
    assert f'<option value="{agent.pk}" selected>王芳</option>' in chosen
