"""Feedback in the shell: the problems list (views.problem_list: selectors.may_see_feedback — the
desk, those who assign work, and the departments, the development department first)."""

from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry

NAVIGATION = [
    NavEntry(
        "feedback",
        _("Feedback and bugs"),
        "feedback:problems",
        perms=(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK, Perm.WORK_ROUTED_TASKS),
        order=36,
        group="business",
    ),
]
