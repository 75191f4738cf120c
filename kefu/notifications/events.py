"""Events of notifications. The live toast and the bell's count reach the recipient's open pages
through this event (kefu/realtime/subscribers.py), like every other push: one event path."""

from dataclasses import dataclass
from typing import ClassVar

from kefu.core.events import DomainEvent


@dataclass(frozen=True)
class NotificationCreated(DomainEvent):
    name: ClassVar[str] = "notifications.created"
    notification_id: int
    recipient_id: int
    title: str  # as the recipient may read it (personal numbers masked by their role)
    link: str
    unread: int  # the recipient's unread notifications, this one included
