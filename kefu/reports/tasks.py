"""The scheduler's part of the pack: every ten minutes, issue what is due and missing
(kefu/reports/services.py). The daily report of the previous day is thus ready minutes after
midnight, long before 10:00; a run missed while the server was down is made up at its next start."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.reports import facts, services


@db_periodic_task(crontab(minute="*/10"))
def issue_due_packs() -> int:
    return len(services.issue_due_packs())


@db_periodic_task(crontab(minute="*/10"))
def refresh_report_facts() -> int:
    """Build the days closed since (facts go up to the day before yesterday) and re-aggregate the
    built days whose daily facts a write made out of date (until then those days are computed
    live, so this only keeps the pages fast)."""
    return facts.refresh()
