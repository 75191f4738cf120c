from django import forms
from django.utils.translation import gettext_lazy

from kefu.core.forms import StyledFormMixin
from kefu.feedback.models import Category, ReportChannel, Severity


class ReportForm(StyledFormMixin, forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Reported through"), choices=ReportChannel.choices
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"), choices=Severity.choices, initial=Severity.NORMAL
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    steps = forms.CharField(
        label=gettext_lazy("Steps to reproduce"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    device = forms.CharField(
        label=gettext_lazy("Device"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("e.g. 华为 Mate 60, Android 14"),
    )
    app_version = forms.CharField(label=gettext_lazy("Version"), max_length=40, required=False)
