"""Real-time pushes for domain events (inline subscribers)."""

from kefu.accounts.events import PresenceChanged
from kefu.core.events import Delivery, subscribe
from kefu.realtime import audiences


def push_presence(event: PresenceChanged) -> None:
    payload = {"event": event.name, "user_id": event.user_id, "presence": event.presence}
    audiences.push(audiences.user_group(event.user_id), payload)
    audiences.push(audiences.SUPERVISORS_GROUP, payload)


def register() -> None:
    subscribe(PresenceChanged, push_presence, mode=Delivery.INLINE)
