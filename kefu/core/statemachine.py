"""Guarded transition tables for everything that moves through states.

    class TicketState(models.TextChoices): ...

    TICKET_FLOW = StateMachine(
        subject=_("ticket"),
        states=TicketState,
        transitions=[
            Transition("approve_plan", _("Approve the plan"), source={TicketState.PLAN_PROPOSED},
                       target=TicketState.PLAN_APPROVED, guard=require_perm(Perm.APPROVE)),
            ...
        ],
    )

    transition = TICKET_FLOW.check(ticket.state, "approve_plan", actor=user, obj=ticket)  # raises
    ticket.state = transition.target

A refused move raises TransitionRefused, whose message names the move, the current state and the
reason, in the user's language. `allowed()` lists the moves a user may make now: the buttons a page
shows. A step that acts on the object without moving it (a reply in a chat) is a transition with
`target=None`: it is guarded like any other and leaves the state as it is (`target_of()`).

What a refusal answers (docs/access.md): 403 (`RoleRefused`) when who acts may not make the move — a
`require_perm` guard or a guard marked `role_guard`; 400 (`TransitionRefused`) when the state or the
move's input does not allow it, with the reason. `require_perm` guards need no object and run before
the state check, so a role that may never make a move is told so in any state; after the state, the
other role guards run before the rest (a refused role is not asked to fix its input first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, PermissionRefused, StrOrPromise

# A guard returns None when the move is allowed, else the reason it is refused.
Guard = Callable[[Any, Any], "StrOrPromise | None"]


@dataclass(frozen=True)
class Transition:
    name: str
    label: StrOrPromise
    source: frozenset[str]
    target: str | None  # None: the step keeps the state it starts from
    guards: tuple[Guard, ...] = field(default=())

    def __init__(
        self,
        name: str,
        label: StrOrPromise,
        *,
        source: Iterable[str],
        target: str | None,
        guard: Guard | None = None,
        guards: Iterable[Guard] = (),
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "source", frozenset(str(s) for s in source))
        object.__setattr__(self, "target", None if target is None else str(target))
        all_guards = tuple(guards) + ((guard,) if guard else ())
        object.__setattr__(self, "guards", all_guards)


class TransitionRefused(DomainError):
    """A move that the table or a guard does not allow. Nothing has been changed. Refused by the
    state or the input: 400; by who the user is, RoleRefused (403)."""

    def __init__(
        self,
        *,
        subject: StrOrPromise,
        transition_name: str,
        transition_label: StrOrPromise,
        state_label: str,
        reason: str,
    ) -> None:
        self.transition_name = transition_name
        self.state_label = state_label
        self.reason = reason
        super().__init__(
            _("Cannot “%(move)s” this %(subject)s while it is “%(state)s”: %(reason)s")
            % {"move": transition_label, "subject": subject, "state": state_label, "reason": reason}
        )


class RoleRefused(TransitionRefused, PermissionRefused):
    """Refused by a role guard (`role_guard`): the user may not make this move at all (403)."""


def role_guard(guard: Guard) -> Guard:
    """Mark a guard that refuses by who the user is (their role, their relation to the object), not
    by the object's state or what they typed: its refusal answers 403."""
    guard.refuses_role = True  # type: ignore[attr-defined]
    return guard


def require_perm(perm: str) -> Guard:
    """A role guard that lets only users holding `perm` make the move (checked before the state)."""

    def guard(actor: Any, obj: Any) -> str | None:
        if actor is None or not actor.has_perm(perm):
            return _("your role does not have this right")
        return None

    guard.perm = perm  # type: ignore[attr-defined]  # lets tests and pages name the right
    return role_guard(guard)


class StateMachine:
    def __init__(
        self,
        *,
        subject: StrOrPromise,
        states: type[models.TextChoices],
        transitions: list[Transition],
    ) -> None:
        self.subject = subject
        self.states = states
        self.transitions = {t.name: t for t in transitions}
        if len(self.transitions) != len(transitions):
            raise ValueError("two transitions share a name")
        valid = set(states.values)
        for t in transitions:
            unknown = (t.source | ({t.target} if t.target is not None else set())) - valid
            if unknown:
                raise ValueError(f"transition {t.name} names unknown states {sorted(unknown)}")

    def _state_label(self, state: str) -> str:
        try:
            return str(self.states(state).label)
        except ValueError:
            return state

    def _refused_by(
        self, state: str, name: str, *, actor: Any, obj: Any
    ) -> tuple[str | None, Guard | None]:
        """The first reason to refuse and the guard that gave it: the rights (require_perm) first,
        then the state, then the other role guards, then the rest, each group in table order."""
        transition = self.transitions.get(name)
        if transition is None:
            return _("there is no such step"), None
        rights = [g for g in transition.guards if hasattr(g, "perm")]
        for guard in rights:
            reason = guard(actor, obj)
            if reason:
                return str(reason), guard
        if str(state) not in transition.source:
            allowed_from = "、".join(self._state_label(s) for s in sorted(transition.source))
            return _("this step is only possible from: %(states)s") % {"states": allowed_from}, None
        rest = [g for g in transition.guards if g not in rights]
        for guard in sorted(rest, key=lambda g: not getattr(g, "refuses_role", False)):
            reason = guard(actor, obj)
            if reason:
                return str(reason), guard
        return None, None

    def refusal(self, state: str, name: str, *, actor: Any = None, obj: Any = None) -> str | None:
        """Why `name` may not be made from `state` by `actor`, or None if it may."""
        return self._refused_by(state, name, actor=actor, obj=obj)[0]

    def check(self, state: str, name: str, *, actor: Any = None, obj: Any = None) -> Transition:
        """The transition if allowed; raises TransitionRefused naming the move otherwise."""
        reason, guard = self._refused_by(state, name, actor=actor, obj=obj)
        if reason is not None:
            transition = self.transitions.get(name)
            refused = RoleRefused if getattr(guard, "refuses_role", False) else TransitionRefused
            raise refused(
                subject=self.subject,
                transition_name=name,
                transition_label=transition.label if transition else name,
                state_label=self._state_label(state),
                reason=reason,
            )
        return self.transitions[name]

    def check_role(self, state: str, name: str, *, actor: Any = None, obj: Any = None) -> None:
        """Raise the refusal only when it is by role (RoleRefused, 403): entry points call it before
        they read the move's input, so a role that may not act is told so whatever it typed."""
        try:
            self.check(state, name, actor=actor, obj=obj)
        except RoleRefused:
            raise
        except TransitionRefused:
            pass

    def target_of(self, state: str, name: str) -> str:
        """The state after `name` from `state` (the same state for a step that does not move)."""
        target = self.transitions[name].target
        return str(state) if target is None else target

    def may(self, state: str, name: str, *, actor: Any = None, obj: Any = None) -> bool:
        return self.refusal(state, name, actor=actor, obj=obj) is None

    def allowed(self, state: str, *, actor: Any = None, obj: Any = None) -> list[Transition]:
        return [
            t
            for t in self.transitions.values()
            if self.refusal(state, t.name, actor=actor, obj=obj) is None
        ]
