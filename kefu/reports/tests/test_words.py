"""The reports page in the words of a report: the shared msgids it uses must not carry another app's
meaning (the period filter once read 回访周期, a visit plan's period; a score read 4.11 分值)."""

import re

from kefu.accounts.roles import Role


def test_the_period_filter_and_the_score_unit_read_as_a_report_does(client_for):
    client, _ = client_for(Role.SUPERVISOR)
    page = client.get("/reports/").content.decode()
    label = re.search(r'<label class="form-label" for="f-period">([^<]+)</label>', page)
    assert label and label.group(1) == "周期"
    units = re.findall(r'<small class="text-secondary">([^<]+)</small>', page)
    assert "分" in units and "分值" not in units
