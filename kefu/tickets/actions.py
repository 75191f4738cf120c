"""The loop's moves as the pages and the API offer them: which service carries out each named
transition and which inputs it takes. One table, so a button and an API call do the same thing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Department, User
from kefu.core.errors import DomainError
from kefu.tickets.models import Satisfaction, Ticket, TicketCategory
from kefu.tickets.services import loop
from kefu.tickets.states import TicketType, flow_for


@dataclass(frozen=True)
class Action:
    service: Callable[..., Ticket]
    inputs: tuple[str, ...] = ()  # the service's keyword arguments besides actor/ticket/version
    primary: bool = (
        True  # False: a secondary move (send back, judge not valid), shown as an outline button
    )
    complaint_inputs: tuple[str, ...] | None = None  # a complaint's inputs, when they differ

    def inputs_for(self, ticket: Ticket) -> tuple[str, ...]:
        if self.complaint_inputs is not None and ticket.type == TicketType.COMPLAINT:
            return self.complaint_inputs
        return self.inputs


ACTIONS: dict[str, Action] = {
    "confirm_restatement": Action(loop.confirm_restatement, ("restatement",)),
    "judge_valid": Action(
        loop.judge_complaint_valid, ("complainant", "content", "category_id", "department_id")
    ),
    "judge_invalid": Action(loop.judge_complaint_invalid, ("reason", "reply"), primary=False),
    "record_cause": Action(loop.record_cause, ("cause",)),
    "propose_plan": Action(loop.propose_resolution_plan, ("plan",)),
    "approve_plan": Action(loop.approve_resolution_plan),
    "return_plan": Action(loop.return_resolution_plan, ("reason",), primary=False),
    "carry_out_plan": Action(loop.carry_out_resolution_plan, ("note",)),
    "record_return_visit": Action(loop.record_return_visit, ("outcome", "satisfaction")),
    "answer": Action(loop.answer_ticket, ("answer",)),
    # 总结评价: a complaint closes with its summary evaluation and the cost of the resolution.
    "close": Action(loop.close_ticket, complaint_inputs=("summary", "cost")),
    "reopen": Action(loop.reopen_ticket, ("reason",), primary=False),
    "merge_into": Action(loop.merge_into, ("survivor",), primary=False),
}

TEXT_MAX = 4000
COST_MAX = loop.COST_MAX


def category_path(category: TicketCategory | None) -> str:
    """产品质量 / 屏幕故障: from the root down."""
    return " / ".join(c.name for c in reversed(category.lineage())) if category else ""


def _category_choices():
    categories = TicketCategory.objects.filter(is_active=True).select_related("parent__parent")
    return [
        ("", "—"),
        *sorted(((c.pk, category_path(c)) for c in categories), key=lambda choice: choice[1]),
    ]


def _department_choices():
    return [("", _("By the category's routing rule"))] + [
        (d.pk, d.name) for d in Department.objects.order_by("name")
    ]


def _input_field(name: str, ticket: Ticket) -> forms.Field:
    text: dict[str, Any] = {"widget": forms.Textarea(attrs={"rows": 3}), "max_length": TEXT_MAX}
    if name == "restatement":
        return forms.CharField(
            label=_("Restatement confirmed with the customer"), initial=ticket.content, **text
        )
    if name == "complainant":
        return forms.CharField(label=_("Complainant"), max_length=60, initial=ticket.complainant)
    if name == "content":
        return forms.CharField(label=_("Complaint content"), initial=ticket.content, **text)
    if name == "category_id":
        return forms.TypedChoiceField(
            label=_("Category"),
            choices=_category_choices,
            coerce=int,
            empty_value=None,
            initial=ticket.category_id,
        )
    if name == "department_id":
        return forms.TypedChoiceField(
            label=_("Responsible department"),
            choices=_department_choices,
            coerce=int,
            empty_value=None,
            required=False,
            initial=ticket.department_id,
        )
    if name == "reason":
        return forms.CharField(label=_("Reason"), **text)
    if name == "reply":
        return forms.CharField(label=_("Tactful reply to the customer"), **text)
    if name == "cause":
        return forms.CharField(label=_("Cause"), initial=ticket.cause, **text)
    if name == "plan":
        return forms.CharField(label=_("Resolution plan"), initial=ticket.resolution_plan, **text)
    if name == "note":
        return forms.CharField(label=_("What was done"), required=False, **text)
    if name == "outcome":
        return forms.CharField(label=_("What the customer was told and said"), **text)
    if name == "satisfaction":  # the one scale, best first as the seeds' visit script asks
        choices = [(v, f"{v} · {label}") for v, label in reversed(Satisfaction.choices)]
        return forms.TypedChoiceField(label=_("Satisfaction"), choices=choices, coerce=int)
    if name == "summary":
        return forms.CharField(
            label=_("Summary evaluation"),
            help_text=_("How the case went, what was learnt, what should change."),
            initial=ticket.summary_evaluation,
            **text,
        )
    if name == "cost":
        return forms.DecimalField(
            label=_("Cost of the resolution (yuan)"),
            help_text=_("Refunds, compensation, replacement and shipping; 0 if it cost nothing."),
            min_value=0,
            max_value=COST_MAX,
            max_digits=11,
            decimal_places=2,
            initial=ticket.resolution_cost,
        )
    if name == "survivor":
        return forms.CharField(
            label=_("Number of the ticket to keep"),
            max_length=30,
            help_text=_(
                "This ticket is closed as its duplicate; notes, files and followers move there."
            ),
        )
    if name == "answer":
        return forms.CharField(
            label=_("Answer given to the customer"), initial=ticket.answer, **text
        )
    raise KeyError(name)


def action_form(name: str, ticket: Ticket, data=None) -> forms.Form:
    """The form for one move: its inputs, a hidden `version` and nothing else."""
    from kefu.core.forms import StyledFormMixin

    fields = {field: _input_field(field, ticket) for field in ACTIONS[name].inputs_for(ticket)}
    fields["version"] = forms.IntegerField(widget=forms.HiddenInput, initial=ticket.version)
    form_class = type(f"{name}_form", (StyledFormMixin, forms.Form), fields)
    return form_class(data, prefix=name)


def form_for_values(name: str, ticket: Ticket, *, version: int, values: dict) -> forms.Form:
    """The move's form bound to `values` (an API call's); inputs left out keep the ticket's current value."""
    unbound = action_form(name, ticket)
    data = {}
    for field in ACTIONS[name].inputs_for(ticket):
        value = values.get(field, unbound.fields[field].initial)
        data[f"{name}-{field}"] = "" if value is None else value
    data[f"{name}-version"] = version
    return action_form(name, ticket, data)


def check_offered(name: str, *, actor: User, ticket: Ticket, expected_version) -> None:
    """Refuse the move `name` before its form is read when it is not offered to `actor` now: by role
    (403), by the ticket's state (409) or by a rule that is not about the input (400). A move that
    only lacks its input is offered: its form then says what is missing. A stale version is left to
    the service, whose Conflict names the fresh state."""
    from kefu.tickets.selectors import allowed_transitions

    if name not in ACTIONS or str(expected_version) != str(ticket.version):
        return
    if any(t.name == name for t in allowed_transitions(actor=actor, ticket=ticket)):
        return
    flow = flow_for(ticket.type)
    flow.check_role(ticket.state, name, actor=actor, obj=ticket)
    flow.check(ticket.state, name, actor=actor, obj=ticket)


def perform(
    name: str, *, actor: User, ticket_id: int, expected_version: int, values: dict
) -> Ticket:
    """Carry out the move `name` with `values` (already cleaned). Unknown moves are refused."""
    action = ACTIONS.get(name)
    if action is None:
        raise DomainError(_("Unknown action."))
    known = {*action.inputs, *(action.complaint_inputs or ())}
    kwargs = {k: values[k] for k in known if k in values}
    return action.service(
        actor=actor, ticket_id=ticket_id, expected_version=expected_version, **kwargs
    )
