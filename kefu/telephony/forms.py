from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledFormMixin
from kefu.telephony.models import CallDirection, CallOutcome

ENDED_OUTCOMES = [(v, label) for v, label in CallOutcome.choices if v != CallOutcome.RINGING]


class CallForm(StyledFormMixin, forms.Form):
    """The work record of one call (《工作记录表》)."""

    direction = forms.ChoiceField(
        label=_("Direction"), choices=CallDirection.choices, initial=CallDirection.INBOUND
    )
    number = forms.CharField(label=_("Phone number"), max_length=40)
    customer = forms.IntegerField(
        label=_("Customer no."),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("Leave empty: the customer is found by the number."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ENDED_OUTCOMES, initial=CallOutcome.ANSWERED
    )
    started_at = forms.DateTimeField(
        label=_("Started at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=24 * 60, initial=0
    )
    duration_seconds = forms.IntegerField(label=_("Seconds"), min_value=0, max_value=59, initial=0)
    subject = forms.CharField(label=_("Reason for the call"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    recording_url = forms.URLField(
        label=_("Recording link"), max_length=500, required=False, assume_scheme="https"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class CallFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=40)
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", _("All")), *CallDirection.choices]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("All")), *CallOutcome.choices]
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    mine = forms.BooleanField(label=_("Only my calls"), required=False)


class WorkRecordForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ENDED_OUTCOMES)
    subject = forms.CharField(label=_("Reason for the call"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class LinkCustomerForm(StyledFormMixin, forms.Form):
    customer = forms.IntegerField(label=_("Customer no."), min_value=1, max_value=2**63 - 1)


class NewCustomerForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
