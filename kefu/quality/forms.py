"""The forms of the quality pages: the reward/penalty sheets (a draft, a line) and their rules
奖罚规则 (views.py), the records of praise and upheld complaints (record_views.py), the sampling
rules and a new rubric item (inspection_views.py). They parse and check what a person typed; the
services decide."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.forms import StyledFormMixin, set_choices
from kefu.quality import selectors, services
from kefu.quality.kpi import parse_month
from kefu.quality.models import CheckKind, PraiseSource, QualitySettings, RewardRule
from kefu.quality.services import records, rubric, sheet_rules

# ---- The reward/penalty sheets 奖罚评分表 and their rules --------------------------------------------


class DraftForm(StyledFormMixin, forms.Form):
    agent = forms.TypedChoiceField(label=gettext_lazy("Agent"), coerce=int)
    month = forms.CharField(
        label=gettext_lazy("Month"),
        widget=forms.TextInput(attrs={"type": "month", "lang": "zh-CN"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = User.objects.filter(role=Role.AGENT, is_active=True).order_by("display_name")
        set_choices(self, "agent", [(a.pk, str(a)) for a in agents])

    def clean_month(self) -> dt.date:
        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("Give the month as 2026-11."))
        return month


class ItemForm(StyledFormMixin, forms.Form):
    points = forms.IntegerField(
        label=gettext_lazy("Points"), min_value=-services.MAX_POINTS, max_value=services.MAX_POINTS
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class RulesForm(StyledFormMixin, forms.Form):
    """The reward/penalty rules 奖罚规则 and the payday, all at once: each rule's points (whole, within
    ±MAX_POINTS), the threshold of a threshold rule (a score from 0 to 100) and whether it is on."""

    payday = forms.IntegerField(
        label=gettext_lazy("Payday (day of the month)"),
        min_value=sheet_rules.PAYDAYS.start,
        max_value=sheet_rules.PAYDAYS.stop - 1,
        error_messages={
            "required": gettext_lazy("Give the payday."),
            "invalid": gettext_lazy("Payday is a day from the 2nd to the 28th."),
            "min_value": gettext_lazy("Payday is a day from the 2nd to the 28th."),
            "max_value": gettext_lazy("Payday is a day from the 2nd to the 28th."),
        },
    )

    def __init__(self, *args: Any, rules: list[RewardRule], **kwargs: Any) -> None:
        self.rules = rules
        super().__init__(*args, **kwargs)
        limit = services.MAX_POINTS
        out_of_range = _("Points must be between -%(max)d and %(max)d.") % {"max": limit}
        for rule in rules:
            self.fields[f"points_{rule.kind}"] = forms.IntegerField(
                label=rule.get_kind_display(),
                min_value=-limit,
                max_value=limit,
                error_messages={
                    "required": gettext_lazy("Give the points of every rule."),
                    "invalid": gettext_lazy("Points are a whole number."),
                    "min_value": out_of_range,
                    "max_value": out_of_range,
                },
            )
            if rule.kind in sheet_rules.THRESHOLD_KINDS:
                self.fields[f"threshold_{rule.kind}"] = forms.FloatField(
                    label=gettext_lazy("Threshold"),
                    min_value=0,
                    max_value=100,
                    error_messages={
                        key: gettext_lazy("A quality threshold is a score from 0 to 100.")
                        for key in ("required", "invalid", "min_value", "max_value")
                    },
                )
            self.fields[f"active_{rule.kind}"] = forms.BooleanField(
                label=gettext_lazy("Active"), required=False
            )
        for name, field in self.fields.items():
            if name != "payday":
                css = "form-check-input" if name.startswith("active_") else "form-control"
                field.widget.attrs["class"] = css
                field.widget.attrs["aria-label"] = str(field.label)

    def rows(self) -> list[dict[str, Any]]:
        """Per rule, its fields, for the table."""
        return [
            {
                "rule": rule,
                "points": self[f"points_{rule.kind}"],
                "threshold": self[f"threshold_{rule.kind}"]
                if rule.kind in sheet_rules.THRESHOLD_KINDS
                else None,
                "active": self[f"active_{rule.kind}"],
            }
            for rule in self.rules
        ]

    def changes(self) -> list[sheet_rules.RuleChange]:
        data = self.cleaned_data
        return [
            sheet_rules.RuleChange(
                kind=rule.kind,
                points=data[f"points_{rule.kind}"],
                threshold=data.get(f"threshold_{rule.kind}"),
                is_active=data[f"active_{rule.kind}"],
            )
            for rule in self.rules
        ]


# ---- The records naming an agent: praise 表扬 and complaints upheld 投诉成立 -----------------------


def _agent_choices(actor: User) -> list[tuple[Any, str]]:
    return [("", "—"), *((a.pk, str(a)) for a in selectors.recordable_agents(actor))]


class PraiseForm(StyledFormMixin, forms.Form):
    agent = forms.TypedChoiceField(label=gettext_lazy("Agent"), coerce=int)
    source = forms.ChoiceField(label=gettext_lazy("From"), choices=PraiseSource.choices)
    words = forms.CharField(
        label=gettext_lazy("What the customer said"),
        max_length=records.WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    conversation = forms.IntegerField(
        label=gettext_lazy("Chat number (if about a chat)"),
        required=False,
        min_value=1,
        max_value=2**62,
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, prefix="praise", **kwargs)
        set_choices(self, "agent", _agent_choices(actor))


class UpheldForm(StyledFormMixin, forms.Form):
    ticket = forms.TypedChoiceField(label=gettext_lazy("Complaint judged valid"), coerce=int)
    agent = forms.TypedChoiceField(label=gettext_lazy("Agent"), coerce=int)
    words = forms.CharField(
        label=gettext_lazy("What was found"),
        max_length=records.WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, prefix="upheld", **kwargs)
        set_choices(self, "agent", _agent_choices(actor))
        set_choices(
            self,
            "ticket",
            [
                ("", "—"),
                *((t.pk, f"{t.number} · {t.subject}") for t in records.upheld_complaints()),
            ],
        )


# ---- The rubric's sampling rules and a new item ----------------------------------------------------


if TYPE_CHECKING:  # the stubs make ModelForm generic; Django's own class is not subscriptable
    _SettingsForm = forms.ModelForm[QualitySettings]
else:
    _SettingsForm = forms.ModelForm


class SamplingForm(StyledFormMixin, _SettingsForm):
    class Meta:
        model = QualitySettings
        fields = list(rubric.SAMPLING_FIELDS)


class NewItemForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Check"), choices=CheckKind.choices)
    label = forms.CharField(label=gettext_lazy("Name"), max_length=80)
