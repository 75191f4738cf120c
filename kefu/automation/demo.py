"""Demo automation: two example rules, saved off (a manager dry-runs and turns them on), by the
demo's manager. No robot or webhook: their addresses would point outside the machine."""

from __future__ import annotations

from typing import Any

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.automation import services
from kefu.automation.models import Rule

EXAMPLES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "VIP 投诉加急",
        "ticket_created",
        {"ticket_type": "complaint", "customer_level": "vip"},
        {"set_priority": "urgent"},
    ),
    (
        "差评回访",
        "conversation_rated",
        {"rating_at_most": 2},
        {"create_ticket": "差评回访：了解不满意的原因"},
    ),
]


def build(*, password: str, seed: int = 2026) -> None:
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
    if manager is None or Rule.objects.exists():
        return
    for name, trigger, conditions, actions in EXAMPLES:
        services.save_rule(
            actor=manager,
            rule=None,
            name=name,
            trigger=trigger,
            conditions=conditions,
            actions=actions,
        )
