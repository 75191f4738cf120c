"""Forms of work orders: they parse and say in Chinese what is wrong; the rules are in services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.forms import StyledFormMixin, set_choices
from kefu.core.satisfaction import Satisfaction
from kefu.dispatch.models import WorkOrderState
from kefu.dispatch.services import technicians


def _technician_choices() -> list[tuple[int | str, str]]:
    return [("", "—")] + [(t.pk, f"{t}（{t.department or ''}）") for t in technicians()]


class AppointmentMixin(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Appointment day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label=gettext_lazy("Window starts"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=gettext_lazy("Window ends"), widget=forms.TimeInput(attrs={"type": "time"})
    )

    def appointment(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        day = self.cleaned_data["day"]
        return (
            dt.datetime.combine(day, self.cleaned_data["start"], tzinfo=tz),
            dt.datetime.combine(day, self.cleaned_data["end"], tzinfo=tz),
        )


class WorkOrderForm(StyledFormMixin, AppointmentMixin):
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200)
    area = forms.CharField(
        label=gettext_lazy("Area"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("The district, e.g. 青秀区: the board filters by it."),
    )
    contact_mobile = forms.CharField(
        label=gettext_lazy("Contact mobile"), max_length=20, required=False
    )
    problem = forms.CharField(
        label=gettext_lazy("Problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    skills = forms.CharField(
        label=gettext_lazy("Skills needed"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("e.g. 空调维修、电工"),
    )
    materials = forms.CharField(
        label=gettext_lazy("Materials"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    technician = forms.TypedChoiceField(label=gettext_lazy("Technician"), coerce=int)

    field_order = [
        "address", "area", "contact_mobile", "problem", "skills", "materials",
        "day", "start", "end", "technician",
    ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "technician", _technician_choices())


class RescheduleForm(StyledFormMixin, AppointmentMixin):
    technician = forms.TypedChoiceField(
        label=gettext_lazy("Technician"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "technician", _technician_choices())


class ReassignForm(StyledFormMixin, forms.Form):
    technician = forms.TypedChoiceField(label=gettext_lazy("Technician"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "technician", _technician_choices())


class VisitForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("What the customer said"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("Satisfaction"),
        coerce=int,
        choices=[("", "—"), *Satisfaction.choices],
    )


class ListFilterForm(StyledFormMixin, forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any state")), *WorkOrderState.choices],
    )
    visit = forms.ChoiceField(
        label=gettext_lazy("Return visit"),
        required=False,
        choices=[("", gettext_lazy("Any")), ("due", gettext_lazy("To be made"))],
    )
    q = forms.CharField(label=gettext_lazy("Number or customer"), required=False, max_length=60)


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}：{errors[0]}" if label else str(errors[0])
    return _("Check the form.")
