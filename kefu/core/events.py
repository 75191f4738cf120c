"""Typed domain events, emitted after commit, delivered to explicitly registered subscribers.

    @dataclass(frozen=True)
    class TicketAssigned(DomainEvent):
        name: ClassVar[str] = "tickets.assigned"
        ticket_id: int
        assignee_id: int

    emit(TicketAssigned(ticket_id=t.id, assignee_id=u.id))      # inside the service's transaction

    subscribe(TicketAssigned, push_to_assignee, mode=Delivery.INLINE)     # real-time pushes
    subscribe(TicketAssigned, "…subscribers.notify")                      # a Huey task
    subscribe(MessagePosted, "…send_agent_reply", when=is_email_reply)      # only events it wants

Nothing is delivered if the transaction rolls back. INLINE subscribers run in the process that
committed (they only push notifications over the channel layer, which may drop them; the database is
the record). TASK subscribers run in a Huey worker; their payload is the event's fields, so events
carry ids and plain values, never model instances.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base of every event. Subclasses are frozen dataclasses with a unique `name`."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            raise TypeError(f"{cls.__qualname__} needs a class attribute `name`")
        if cls.name in EVENT_TYPES and EVENT_TYPES[cls.name] is not cls:
            raise TypeError(f"event name {cls.name!r} is used twice")
        EVENT_TYPES[cls.name] = cls

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


EVENT_TYPES: dict[str, type[DomainEvent]] = {}
E = TypeVar("E", bound=DomainEvent)  # a subscriber is typed by the event it takes


class Delivery(StrEnum):
    INLINE = "inline"  # in the committing process, right after commit
    TASK = "task"  # in a Huey worker


@dataclasses.dataclass(frozen=True)
class Subscription:
    handler: Callable[[Any], None] | str  # takes the event type it was subscribed for
    mode: Delivery
    when: Callable[[Any], bool] | None = None

    @property
    def handler_path(self) -> str:
        return _path_of(self.handler)

    def resolve(self) -> Callable[[DomainEvent], None]:
        return import_string(self.handler) if isinstance(self.handler, str) else self.handler


_subscriptions: dict[type[DomainEvent], list[Subscription]] = defaultdict(list)

# What queues a TASK subscriber's run: `sender(handler_path, event_name, payload)`. Set once by
# CoreConfig.ready() to the Huey task in kefu.core.tasks, so this module imports no task machinery
# (it stays a leaf that every app's events module can import).
_task_sender: Callable[[str, str, dict[str, Any]], Any] | None = None


def set_task_sender(sender: Callable[[str, str, dict[str, Any]], Any]) -> None:
    global _task_sender
    _task_sender = sender


def _path_of(handler: Callable[..., Any] | str) -> str:
    if isinstance(handler, str):
        return handler
    return f"{handler.__module__}.{handler.__qualname__}"


def subscribe(
    event_type: type[E],
    handler: Callable[[E], None] | str,
    *,
    mode: Delivery = Delivery.TASK,
    when: Callable[[E], bool] | None = None,
) -> None:
    """Register `handler(event)` for `event_type`. Call from an app's subscribers.register().

    A TASK handler runs in another process, so it must be importable: a module-level function or
    its dotted path. `when(event)`, checked in the committing process from the event's fields
    alone, skips the events the handler has no use for: a task not worth queueing (every chat
    message queued a Huey task for the few e-mail replies: bench/README.md, chat).
    """
    if (
        mode is Delivery.TASK
        and not isinstance(handler, str)
        and "<locals>" in handler.__qualname__
    ):
        raise ValueError("a task subscriber must be a module-level function")
    subscription = Subscription(handler=handler, mode=mode, when=when)
    if subscription not in _subscriptions[event_type]:
        _subscriptions[event_type].append(subscription)


def unsubscribe(event_type: type[DomainEvent], handler: Callable[..., Any] | str) -> None:
    """Remove `handler`, given as the function it was subscribed with or as its dotted path."""
    _subscriptions[event_type] = [
        s for s in _subscriptions[event_type] if s.handler != handler and s.handler_path != handler
    ]


def subscriptions_for(event_type: type[DomainEvent]) -> list[Subscription]:
    return list(_subscriptions.get(event_type, []))


_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("kefu_events_muted", default=False)


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """Events emitted inside are dropped, not delivered: for building demo data that describes a
    made-up past, which nobody should be notified of. Never around real work."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


# The cause an emitter works under: an opaque tuple of ints, set with caused_by() and handed with
# each event it emits to the inline subscribers, whenever the commit comes (inside a test's outer
# transaction the commit comes after the emitter has returned). The automation rules keep there the
# chain of rules that led to a change, so a rule's own action cannot set it off again without end.
_cause: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "kefu_events_cause", default=()
)


@contextlib.contextmanager
def caused_by(cause: tuple[int, ...]) -> Iterator[None]:
    """Events emitted inside carry `cause` to their inline subscribers (current_cause())."""
    token = _cause.set(cause)
    try:
        yield
    finally:
        _cause.reset(token)


def current_cause() -> tuple[int, ...]:
    return _cause.get()


def emit(event: DomainEvent) -> None:
    """Deliver `event` once the current transaction commits (at once when none is open)."""
    if not isinstance(event, DomainEvent):
        raise TypeError(f"emit() takes a DomainEvent, not {type(event).__name__}")
    if _muted.get():
        return
    cause = _cause.get()
    transaction.on_commit(lambda: _deliver(event, cause), robust=True)


def _deliver(event: DomainEvent, cause: tuple[int, ...] = ()) -> None:
    with caused_by(cause):
        _deliver_each(event)


def _deliver_each(event: DomainEvent) -> None:
    # Each subscriber on its own: one that fails (or a queue that is down) must not keep the event
    # from the others, and nothing can undo the change that has already been committed.
    for subscription in subscriptions_for(type(event)):
        try:
            if subscription.when is not None and not subscription.when(event):
                continue
            if subscription.mode is Delivery.INLINE:
                subscription.resolve()(event)
            else:
                if _task_sender is None:
                    raise RuntimeError("no task sender: kefu.core is not in INSTALLED_APPS")
                _task_sender(subscription.handler_path, event.name, event.payload())
        except Exception:
            logger.exception("subscriber %s failed on %s", subscription.handler_path, event.name)


def run_subscriber(handler_path: str, event_name: str, payload: dict[str, Any]) -> None:
    """What the Huey task does: rebuild the event and call the handler."""
    event = EVENT_TYPES[event_name](**payload)
    import_string(handler_path)(event)
