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
shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError

# A guard returns None when the move is allowed, else the reason it is refused.
Guard = Callable[[Any, Any], "str | Promise | None"]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    source: frozenset[str]
    target: str
    guards: tuple[Guard, ...] = field(default=())

    def __init__(self, name, label, *, source: Iterable[str], target: str, guard=None, guards=()):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "source", frozenset(str(s) for s in source))
        object.__setattr__(self, "target", str(target))
        all_guards = tuple(guards) + ((guard,) if guard else ())
        object.__setattr__(self, "guards", all_guards)


class TransitionRefused(DomainError):
    """A move that the table or a guard does not allow. Nothing has been changed."""

    def __init__(self, *, subject, transition_name, transition_label, state_label, reason):
        self.transition_name = transition_name
        self.state_label = state_label
        self.reason = reason
        super().__init__(
            _("Cannot “%(move)s” this %(subject)s while it is “%(state)s”: %(reason)s")
            % {"move": transition_label, "subject": subject, "state": state_label, "reason": reason}
        )


def require_perm(perm: str) -> Guard:
    """A guard that lets only users holding `perm` make the move."""

    def guard(actor, obj) -> str | None:
        if actor is None or not actor.has_perm(perm):
            return _("your role does not have this right")
        return None

    guard.perm = perm  # type: ignore[attr-defined]  # lets tests and pages name the right
    return guard


class StateMachine:
    def __init__(self, *, subject, states: type[models.TextChoices], transitions: list[Transition]):
        self.subject = subject
        self.states = states
        self.transitions = {t.name: t for t in transitions}
        if len(self.transitions) != len(transitions):
            raise ValueError("two transitions share a name")
        valid = set(states.values)
        for t in transitions:
            unknown = (t.source | {t.target}) - valid
            if unknown:
                raise ValueError(f"transition {t.name} names unknown states {sorted(unknown)}")

    def _state_label(self, state: str) -> str:
        try:
            return str(self.states(state).label)
        except ValueError:
            return state

    def refusal(self, state: str, name: str, *, actor=None, obj=None) -> str | None:
        """Why `name` may not be made from `state` by `actor`, or None if it may."""
        transition = self.transitions.get(name)
        if transition is None:
            return _("there is no such step")
        if str(state) not in transition.source:
            allowed_from = "、".join(self._state_label(s) for s in sorted(transition.source))
            return _("this step is only possible from: %(states)s") % {"states": allowed_from}
        for guard in transition.guards:
            reason = guard(actor, obj)
            if reason:
                return str(reason)
        return None

    def check(self, state: str, name: str, *, actor=None, obj=None) -> Transition:
        """The transition if allowed; raises TransitionRefused naming the move otherwise."""
        reason = self.refusal(state, name, actor=actor, obj=obj)
        if reason is not None:
            transition = self.transitions.get(name)
            raise TransitionRefused(
                subject=self.subject,
                transition_name=name,
                transition_label=transition.label if transition else name,
                state_label=self._state_label(state),
                reason=reason,
            )
        return self.transitions[name]

    def allowed(self, state: str, *, actor=None, obj=None) -> list[Transition]:
        return [
            t for t in self.transitions.values()
            if self.refusal(state, t.name, actor=actor, obj=obj) is None
        ]
