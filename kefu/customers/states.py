"""The import flow's transition table (statuses: `models.ImportStatus`).

    upload ──▶ checking ──(the dry run ends)──▶ checked ──confirm──▶ importing ──▶ done
                   │                               │                     └──▶ failed (nothing imported)
                   └──▶ failed                     └──recheck──▶ checking (columns chosen by hand)
    checking/checked/failed ──cancel──▶ cancelled (the upload is removed)
    failed ──recheck──▶ checking

The moves the background check and import make by themselves (checking → checked/failed, importing →
done/failed) are not user transitions; only the named ones below are, each for those who assign work.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kefu.accounts.roles import Perm
from kefu.core.statemachine import StateMachine, Transition, require_perm
from kefu.customers.models import ImportStatus

RUNNING = frozenset({ImportStatus.CHECKING, ImportStatus.IMPORTING})

IMPORT_FLOW = StateMachine(
    subject=gettext_lazy("import"),
    states=ImportStatus,
    transitions=[
        Transition(
            "recheck",
            gettext_lazy("Check again"),
            source={ImportStatus.CHECKED, ImportStatus.FAILED},
            target=ImportStatus.CHECKING,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "confirm",
            gettext_lazy("Import the valid rows"),
            source={ImportStatus.CHECKED},
            target=ImportStatus.IMPORTING,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel the import"),
            source={ImportStatus.CHECKING, ImportStatus.CHECKED, ImportStatus.FAILED},
            target=ImportStatus.CANCELLED,
            guard=require_perm(Perm.ASSIGN_WORK),
        ),
    ],
)
