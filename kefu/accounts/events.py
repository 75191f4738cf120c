"""Events of the accounts app."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class PresenceChanged(DomainEvent):
    name: ClassVar[str] = "accounts.presence_changed"
    user_id: int
    presence: str


@dataclass(frozen=True)
class RoleChanged(DomainEvent):
    name: ClassVar[str] = "accounts.role_changed"
    user_id: int
    old_role: str
    new_role: str
    changed_by_id: int | None


@dataclass(frozen=True)
class StandingChanged(DomainEvent):
    """What a user's sign-ins stand on changed: deactivated or reactivated, a new role, a new
    password (every other session ends), or a session signed out. Open sockets re-check theirs
    (kefu/realtime/consumers.py) and close when it no longer holds."""

    name: ClassVar[str] = "accounts.standing_changed"
    user_id: int
    reason: str  # deactivated, reactivated, role_changed, password_changed, signed_out
