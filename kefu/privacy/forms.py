from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.privacy.services import MAX_DAYS, REASON_MAX


class FindCustomerForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer number or mobile"),
        max_length=40,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (who asked, and how)"),
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class ErasureForm(ReasonForm):
    wait_for_blockers = forms.BooleanField(
        label=_("If an open complaint blocks it, erase once the complaint is closed"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that erased personal data cannot be restored"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class RetentionForm(forms.Form):
    kind = forms.CharField(max_length=40, widget=forms.HiddenInput)
    days = forms.IntegerField(
        label=_("Keep for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    enabled = forms.BooleanField(
        label=_("Purge automatically"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
