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
