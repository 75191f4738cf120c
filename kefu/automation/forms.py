"""The rule form: every condition and action is a field of its own (choices, a few words), so a
manager writes a rule without code; the form turns it into the rule's conditions and actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.automation import catalog
from kefu.automation.models import Robot, RobotKind, Rule, Webhook
from kefu.core.forms import StyledFormMixin

BLANK = [("", "—")]
TIME_HELP = _("HH:MM, Beijing time")

# Which fields of the form are conditions and which are actions: "if_<key>" and "then_<key>".
INT_VALUES = {
    "category",
    "department",
    "rating_at_most",
    "set_category",
    "set_department",
    "assign_to",
    "canned_reply",
    "notify_user",
    "webhook",
    "robot",
}


def _choices(rows: Iterable[tuple[Any, Any]]) -> list[tuple[Any, str]]:
    return BLANK + [(str(pk), str(label)) for pk, label in rows]


class RuleForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("a thing's name", "Name"), max_length=80)
    trigger = forms.ChoiceField(label=_("When"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The condition and action fields join the declared ones before the form copies and
        # styles them (StyledFormMixin), as if they had been declared.
        self.base_fields = {**type(self).base_fields, **self._rule_fields()}  # type: ignore[misc]
        super().__init__(*args, **kwargs)
        trigger = self.fields["trigger"]
        assert isinstance(trigger, forms.ChoiceField)
        trigger.choices = [(t.code, str(t.label)) for t in catalog.TRIGGERS]

    @staticmethod
    def _rule_fields() -> dict[str, forms.Field]:
        from kefu.accounts.models import Department, User
        from kefu.accounts.roles import Role
        from kefu.customers.models import Level
        from kefu.feedback.models import ProblemState
        from kefu.replies.models import CannedReply
        from kefu.sms.models import SmsTemplate
        from kefu.tickets.models import Channel, TicketCategory
        from kefu.tickets.states import Priority, TicketType

        categories = _choices(
            (c.pk, str(c)) for c in TicketCategory.objects.filter(is_active=True).order_by("name")
        )
        departments = _choices(Department.objects.order_by("name").values_list("pk", "name"))
        staff = _choices(
            (u.pk, str(u))
            for u in User.objects.filter(is_active=True)
            .exclude(role=Role.DEPARTMENT_STAFF)
            .order_by("username")[:500]
        )
        conditions: dict[str, forms.Field] = {
            "ticket_type": forms.ChoiceField(choices=BLANK + list(TicketType.choices)),
            "priority": forms.ChoiceField(choices=BLANK + list(Priority.choices)),
            "category": forms.ChoiceField(choices=categories),
            "department": forms.ChoiceField(choices=departments),
            "text": forms.CharField(max_length=60),
            "channel": forms.ChoiceField(choices=BLANK + list(Channel.choices)),
            "rating_at_most": forms.IntegerField(min_value=1, max_value=5),
            "customer_level": forms.ChoiceField(choices=BLANK + list(Level.choices)),
            "region": forms.CharField(max_length=20),
            "tag": forms.CharField(max_length=30),
            "problem_state": forms.ChoiceField(choices=BLANK + list(ProblemState.choices)),
            "time_from": forms.TimeField(input_formats=["%H:%M"], help_text=TIME_HELP),
            "time_to": forms.TimeField(input_formats=["%H:%M"], help_text=TIME_HELP),
        }
        actions: dict[str, forms.Field] = {
            "set_priority": forms.ChoiceField(choices=BLANK + list(Priority.choices)),
            "set_category": forms.ChoiceField(choices=categories),
            "set_department": forms.ChoiceField(choices=departments),
            "assign_to": forms.ChoiceField(choices=staff),
            "add_tag": forms.CharField(max_length=30),
            "canned_reply": forms.ChoiceField(
                choices=_choices(
                    CannedReply.objects.filter(owner__isnull=True, team__isnull=True)
                    .order_by("title")
                    .values_list("pk", "title")
                )
            ),
            "notify_user": forms.ChoiceField(choices=staff),
            "sms_template": forms.ChoiceField(
                choices=BLANK
                + list(SmsTemplate.objects.order_by("name").values_list("code", "name"))
            ),
            "create_ticket": forms.CharField(max_length=200),
            "create_complaint": forms.CharField(max_length=200),
            "create_visit": forms.ChoiceField(
                choices=[
                    *BLANK,
                    (catalog.AUTO_VISITOR, _("The customer's owner, else the least busy agent")),
                    *_choices(
                        (u.pk, str(u))
                        for u in User.objects.filter(is_active=True, role=Role.AGENT).order_by(
                            "username"
                        )[:500]
                    )[1:],
                ]
            ),
            "webhook": forms.ChoiceField(
                choices=_choices(Webhook.objects.filter(is_active=True).values_list("pk", "name"))
            ),
            "robot": forms.ChoiceField(
                choices=_choices(Robot.objects.filter(is_active=True).values_list("pk", "name"))
            ),
        }
        fields: dict[str, forms.Field] = {}
        for key, field in conditions.items():
            field.required = False
            field.label = str(catalog.CONDITIONS[key][0])
            fields[f"if_{key}"] = field
        for key, field in actions.items():
            field.required = False
            field.label = str(catalog.ACTIONS[key][0])
            fields[f"then_{key}"] = field
        return fields

    @classmethod
    def initial_from(cls, rule: Rule) -> dict[str, Any]:
        initial: dict[str, Any] = {"name": rule.name, "trigger": rule.trigger}
        initial.update({f"if_{k}": v for k, v in rule.conditions.items()})
        initial.update({f"then_{k}": v for k, v in rule.actions.items()})
        return initial

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("if_")]

    def action_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("then_")]

    def _part(self, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if not name.startswith(prefix) or value in (None, ""):
                continue
            key = name[len(prefix) :]
            if hasattr(value, "strftime"):
                value = value.strftime("%H:%M")
            elif key in INT_VALUES:
                value = int(value)
            elif isinstance(value, str):
                value = value.strip()
            out[key] = value
        return out

    def conditions(self) -> dict[str, Any]:
        return self._part("if_")

    def actions(self) -> dict[str, Any]:
        return self._part("then_")


class WebhookForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("a thing's name", "Name"), max_length=80)
    url = forms.CharField(label=_("URL"), max_length=500)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class RobotForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("a thing's name", "Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=RobotKind.choices)
    url = forms.CharField(label=_("Robot webhook address"), max_length=500)
    secret = forms.CharField(
        label=_("Signing secret (DingTalk 加签)"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to keep the saved one."),
    )
    on_warning = forms.BooleanField(label=_("Time-limit warnings"), required=False)
    on_breach = forms.BooleanField(label=_("Time-limit breaches and escalations"), required=False)
    on_report = forms.BooleanField(label=_("Report packs"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
