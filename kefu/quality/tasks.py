"""Background work of quality: the closed chats marked for their automatic check, checked in
batches every minute (what the nudge after each close left, e.g. while the worker was down); last
month's performance sheets 绩效考核表 made ready by the 5th, and
the reward/penalty sheets 奖罚评分表 drafted from the rules the day before payday."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.quality.kpi import default_month
from kefu.quality.services.performance import generate_sheets


@db_periodic_task(crontab(minute="*"))
def check_closed_chats() -> int:
    """Every minute: the closed chats still waiting for their automatic check, in batches of 500,
    each checked once (services.checks.check_queued). Returns how many were taken."""
    from kefu.quality.services.checks import check_queued

    return check_queued()


@db_periodic_task(crontab(hour="2", minute="20"))
def prepare_last_months_sheets() -> int:
    """Every day at 02:20 UTC (10:20 in China). From the 1st to the 5th: last month's sheets of every
    active agent are computed (drafts refreshed with facts recorded late; signed sheets stay), so a
    supervisor finds them ready to sign by the 5th (seed 001: 绩效考核表 by the 5th). Later in the
    month only when none were made (the worker was down those days): made up once."""
    from kefu.quality.models import PerformanceSheet

    month = default_month()
    if timezone.localdate().day > 5 and PerformanceSheet.objects.filter(month=month).exists():
        return 0
    return generate_sheets(actor=None, month=month)


@db_periodic_task(crontab(hour="16", minute="40"))
def prepare_reward_sheets() -> int:
    """Every day at 16:40 UTC (00:40 in China): when the day that starts is the day before payday
    (`QualitySettings.payday`), last month's reward/penalty sheets 奖罚评分表 are drafted from the
    rules (seed 002: handed to a superior the day before payday), for the supervisor to adjust and
    submit that day. Drafts nobody has touched are refreshed; others stay. A later day of the month
    with no sheet of last month yet (the worker was down on the eve) makes them up. Returns the
    drafts written."""
    from kefu.quality.models import RewardPenaltySheet
    from kefu.quality.services.rubric import quality_settings
    from kefu.quality.services.sheet_rules import draft_from_rules, payday_eve

    today, payday, month = timezone.localdate(), quality_settings().payday, default_month()
    missed = today.day >= payday and not RewardPenaltySheet.objects.filter(month=month).exists()
    if not (payday_eve(today, payday) or missed):
        return 0
    drafted = draft_from_rules(actor=None, month=month)
    return drafted.made + drafted.refreshed
