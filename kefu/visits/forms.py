"""Forms of return visits: the plan (with its range), the visit record 回访记录表, the rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import Team, User
from kefu.core.forms import StyledFormMixin, set_choices
from kefu.customers.models import Level, Tag
from kefu.telephony.models import Call
from kefu.visits import selectors as visit_selectors
from kefu.visits.models import (
    CareKind,
    FollowUp,
    Satisfaction,
    SurveyChannel,
    SurveyTrigger,
    UnreachedReason,
    VisitCampaign,
    VisitChannel,
)
from kefu.visits.selectors import agents_for


class RangeForm(forms.Form):
    """The range rules a plan and a care message share (selectors.select_customers): who the
    customer is, where, whose, which tag."""

    levels = forms.MultipleChoiceField(
        label=gettext_lazy("Membership level"),
        choices=Level.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    region = forms.CharField(label=gettext_lazy("Province"), max_length=20, required=False)
    city = forms.CharField(label=gettext_lazy("City"), max_length=30, required=False)
    district = forms.CharField(label=gettext_lazy("District"), max_length=30, required=False)
    street = forms.CharField(label=gettext_lazy("Street"), max_length=40, required=False)
    owner_id = forms.TypedChoiceField(
        label=gettext_lazy("Owner agent"), coerce=int, required=False, empty_value=None
    )
    tag_id = forms.TypedChoiceField(
        label=gettext_lazy("Tag"), coerce=int, required=False, empty_value=None
    )

    RANGE_FIELDS = ("levels", "region", "city", "district", "street", "owner_id", "tag_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        set_choices(self, "owner_id", blank + [(u.pk, str(u)) for u in agents_for(None)])
        set_choices(self, "tag_id", blank + [(t.pk, t.name) for t in Tag.objects.all()[:500]])


class CampaignForm(StyledFormMixin, RangeForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200)
    service_item = forms.CharField(
        label=gettext_lazy("Service item"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Filled into the script: 请问您对____服务项目满意吗?"),
    )
    script = forms.CharField(
        label=gettext_lazy("Script"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Blanks: {agent} {customer} {time} {service}. Empty: the seeds' script."
        ),
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=VisitChannel.choices)
    period_start = forms.DateField(
        label=gettext_lazy("Period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_count = forms.IntegerField(
        label=gettext_lazy("Planned number"),
        min_value=0,
        max_value=10_000_000,
        initial=0,
        help_text=gettext_lazy("0: every customer selected."),
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), coerce=int, required=False, empty_value=None
    )
    # The range 回访范围: RangeForm's rules and these
    no_contact_days = forms.IntegerField(
        label=gettext_lazy("Last contact older than (days)"),
        min_value=1,
        max_value=3650,
        required=False,
    )
    complaint_closed_days = forms.IntegerField(
        label=gettext_lazy("Complaint closed within (days)"),
        min_value=1,
        max_value=365,
        required=False,
    )
    dispatch_done_days = forms.IntegerField(
        label=gettext_lazy("Work order finished within (days)"),
        min_value=1,
        max_value=365,
        required=False,
    )
    birthday_in_period = forms.BooleanField(
        label=gettext_lazy("Birthday in the period"), required=False
    )
    card_expiring = forms.BooleanField(
        label=gettext_lazy("Card expires in the period (renewal, upgrade)"), required=False
    )

    RULE_FIELDS = (
        *RangeForm.RANGE_FIELDS,
        "no_contact_days",
        "complaint_closed_days",
        "dispatch_done_days",
        "birthday_in_period",
        "card_expiring",
    )
    field_order = (
        "title",
        "purpose",
        "service_item",
        "script",
        "channel",
        "period_start",
        "period_end",
        "planned_count",
        "team",
        *RULE_FIELDS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        set_choices(self, "team", blank + [(t.pk, t.name) for t in Team.objects.order_by("name")])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end on or after its start."))
        return data

    def rules(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) for k in self.RULE_FIELDS}

    @classmethod
    def initial_for(cls, campaign: VisitCampaign) -> dict[str, Any]:
        initial = {
            "title": campaign.title,
            "purpose": campaign.purpose,
            "service_item": campaign.service_item,
            "script": campaign.script,
            "channel": campaign.channel,
            "period_start": campaign.period_start,
            "period_end": campaign.period_end,
            "planned_count": campaign.planned_count,
            "team": campaign.team_id,
        }
        initial.update(campaign.rules or {})
        return initial


def describe_rules(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """A plan's range as its form's labels and readable values (a level's name, the owner's and
    the tag's names, 是 for a ticked box), in the form's order, for the plan's page."""
    fields = CampaignForm.base_fields
    out: list[tuple[str, str]] = []
    for key in CampaignForm.RULE_FIELDS:
        value: Any = rules.get(key)
        if value in (None, "", [], False):
            continue
        if key == "levels":
            names = dict(Level.choices)
            shown = "、".join(str(names.get(v, v)) for v in value)
        elif key == "owner_id":
            owner = User.objects.filter(pk=value).first()
            shown = str(owner) if owner else f"#{value}"
        elif key == "tag_id":
            tag = Tag.objects.filter(pk=value).first()
            shown = tag.name if tag else f"#{value}"
        elif value is True:
            shown = _("Yes")
        else:
            shown = str(value)
        out.append((str(fields[key].label), shown))
    return out


class VisitRecordForm(StyledFormMixin, forms.Form):
    reached = forms.TypedChoiceField(
        label=gettext_lazy("Reached the customer"),
        choices=[("yes", gettext_lazy("Reached")), ("no", gettext_lazy("Not reached"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    unreached_reason = forms.ChoiceField(
        label=gettext_lazy("Why not reached"),
        choices=[("", "—"), *UnreachedReason.choices],
        required=False,
    )
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("Satisfaction"),
        choices=Satisfaction.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    product_opinion = forms.CharField(
        label=gettext_lazy("Opinion on the product"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    service_opinion = forms.CharField(
        label=gettext_lazy("Opinion on the service (what to improve)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    suggestions = forms.CharField(
        label=gettext_lazy("Suggestions"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_contact_at = forms.DateTimeField(
        label=gettext_lazy("Next contact agreed"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    call = forms.TypedChoiceField(
        label=gettext_lazy("Call record"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, calls: Iterable[Call] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "call",
            [("", "—")]
            + [
                (
                    c.pk,
                    f"{timezone.localtime(c.started_at):%Y-%m-%d %H:%M} · {c.get_outcome_display()}",
                )
                for c in calls
            ],
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if data.get("reached") is True and not data.get("satisfaction"):
            self.add_error("satisfaction", _("Record whether the customer is satisfied."))
        if data.get("reached") is False and not data.get("unreached_reason"):
            self.add_error("unreached_reason", _("Record why the customer was not reached."))
        return data


class RulesForm(StyledFormMixin, forms.Form):
    quiet_hours = forms.CharField(
        label=gettext_lazy("Quiet hours"),
        max_length=200,
        help_text=gettext_lazy("Periods separated by commas, e.g. 12:00-14:00, 21:00-09:00."),
    )
    member_coverage_percent = forms.IntegerField(
        label=gettext_lazy("Member coverage target %"), min_value=0, max_value=100
    )
    days_after_complaint = forms.IntegerField(
        label=gettext_lazy("Working days to visit after a complaint closes"),
        min_value=1,
        max_value=30,
    )

    def clean_quiet_hours(self) -> list[list[str]]:
        raw = self.cleaned_data["quiet_hours"]
        pairs = []
        for part in raw.replace("，", ",").split(","):
            part = part.strip().replace("–", "-").replace("—", "-")
            if not part:
                continue
            start, dash, end = part.partition("-")
            if not dash:
                raise forms.ValidationError(
                    _("Give each quiet period as two times like 12:00–14:00.")
                )
            pairs.append([start.strip(), end.strip()])
        return pairs


class SurveyForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    intro = forms.CharField(label=gettext_lazy("Introduction"), max_length=300, required=False)
    trigger = forms.ChoiceField(label=gettext_lazy("Sent"), choices=SurveyTrigger.choices)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=SurveyChannel.choices)
    valid_days = forms.IntegerField(
        label=gettext_lazy("Link valid for days"), min_value=1, max_value=90, initial=7
    )
    low_score = forms.IntegerField(
        label=gettext_lazy("Low score"), min_value=1, max_value=4, initial=2
    )
    follow_up = forms.ChoiceField(
        label=gettext_lazy("Follow-up of a low score"), choices=FollowUp.choices
    )
    questions = forms.CharField(
        label=gettext_lazy("Questions"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        initial="score: 您对本次服务满意吗？\nchoice: 问题解决了吗？ | 已解决 | 未解决\ntext: 您的建议",
        help_text=gettext_lazy(
            "One a line: score: question (1–5), nps: question (0–10), choice: question | answer |"
            " answer, multiple: question | answer | answer (any of them), text: question."
        ),
    )


class CareForm(StyledFormMixin, RangeForm):
    """What the holiday and the event/promotion forms share: the time, the channel, the template
    and the range (nothing chosen: every customer who consented). Posted with a prefix (the care
    page holds both forms)."""

    send_time = forms.TimeField(
        label=gettext_lazy("Send at"),
        initial="10:00",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=gettext_lazy("Moved out of the customers' quiet hours when it falls in them."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Send by"),
        required=False,
        choices=[
            ("", gettext_lazy("SMS (e-mail to who has no mobile)")),
            (VisitChannel.SMS, gettext_lazy("SMS only")),
            (VisitChannel.EMAIL, gettext_lazy("E-mail only")),
        ],
        help_text=gettext_lazy(
            "Who has no mobile or no e-mail address for the way chosen is left out: the preview"
            " counts them."
        ),
    )
    template_code = forms.CharField(
        label=gettext_lazy("SMS template code"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("The SMS template, also the e-mail's text. Empty: the kind's own."),
    )

    def rules(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) for k in self.RANGE_FIELDS}


class HolidayCareForm(CareForm):
    """A holiday greeting 节日关怀: one of the business calendar's festivals of the coming year."""

    holiday = forms.TypedChoiceField(
        label=gettext_lazy("Holiday"),
        coerce=dt.date.fromisoformat,
        help_text=gettext_lazy(
            "From the business calendar (Settings → Business calendar), lunar festivals included."
        ),
    )
    field_order = ("holiday", "send_time", "channel", "template_code", *RangeForm.RANGE_FIELDS)

    def __init__(self, *args: Any, holidays: Iterable[tuple[dt.date, str]], **kwargs: Any):
        kwargs.setdefault("prefix", "holiday")
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "holiday",
            [("", "—")] + [(day.isoformat(), f"{day:%Y-%m-%d} {name}") for day, name in holidays],
        )
        self.fields["template_code"].widget.attrs["placeholder"] = "care_holiday"


class EventCareForm(CareForm):
    """An event or promotion message 活动/促销关怀: its day, its words and its range."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[
            (CareKind.EVENT, CareKind.EVENT.label),
            (CareKind.PROMOTION, CareKind.PROMOTION.label),
        ],
    )
    occasion = forms.DateField(
        label=gettext_lazy("Day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The message goes out on this day."),
    )
    text = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=60,
        help_text=gettext_lazy(
            "Fills {text} of the template (with {name} and {date}). Only to customers who"
            " consented to marketing messages."
        ),
    )
    field_order = (
        "kind",
        "occasion",
        "text",
        "send_time",
        "channel",
        "template_code",
        *RangeForm.RANGE_FIELDS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "event")
        super().__init__(*args, **kwargs)
        self.fields["template_code"].widget.attrs["placeholder"] = "care_event / care_promotion"

    def clean_occasion(self) -> dt.date:
        day: dt.date = self.cleaned_data["occasion"]
        if day < visit_selectors.local_today():
            raise forms.ValidationError(_("The day has passed."))
        return day
