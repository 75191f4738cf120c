"""What the quality app shows in the shell (kefu/core/shell.py): the reward/penalty sheets (views.py:
sheet_list — those who draft or approve sheets, and agents, who see their own approved ones), the
quality checks (inspection_views.py: inspection_list — inspectors, supervisors and managers), the
agent's own reviews (my_reviews), the rubric (rubric_page), the supervisors' records of praise and
upheld complaints (record_views.py) and, for managers, the reward/penalty rules (sheet_rules_page)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "quality",
        _("Reward/penalty sheets"),
        "quality:sheets",
        perms=(Perm.EVALUATE, Perm.APPROVE_SHEETS, Perm.SERVE_CUSTOMERS),
        order=70,
        group="performance",
    ),
    NavEntry(
        "quality_checks",
        _("Quality checks"),
        "quality:inspections",
        perms=(Perm.INSPECT_QUALITY, Perm.EVALUATE),
        order=71,
        group="performance",
    ),
    NavEntry(
        "quality_mine",
        _("My quality reviews"),
        "quality:my_reviews",
        perms=(Perm.SERVE_CUSTOMERS,),
        order=72,
        group="performance",
    ),
    NavEntry(
        "quality_performance",
        _("Performance sheets"),
        "quality:performance",
        perms=(Perm.EVALUATE, Perm.APPROVE_SHEETS, Perm.SERVE_CUSTOMERS),
        order=73,
        group="performance",
    ),
    NavEntry(
        "quality_roster",
        _("Roster"),
        "quality:roster",
        perms=(Perm.ASSIGN_WORK,),
        order=74,
        group="performance",
    ),
    NavEntry(
        "quality_my_shifts",
        _("My shifts"),
        "quality:my_shifts",
        perms=(Perm.SERVE_CUSTOMERS,),
        order=75,
        group="performance",
    ),
    NavEntry(
        "quality_records",
        _("Praise and upheld complaints"),
        "quality:records",
        perms=(Perm.EVALUATE,),
        order=77,
        group="performance",
    ),
    NavEntry(
        "quality_sheet_rules",
        _("Reward/penalty rules"),
        "quality:sheet_rules",
        perms=(Perm.MANAGE_SETTINGS,),
        order=78,
        group="performance",
    ),
    NavEntry(
        "quality_leaderboard",
        _("Leaderboard"),
        "quality:leaderboard",
        perms=(Perm.SERVE_CUSTOMERS, Perm.EVALUATE, Perm.APPROVE_SHEETS),
        order=76,
        group="performance",
    ),
]
