import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.forms import StyledFormMixin
from kefu.sms.models import SmsStatus


class SmsFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *SmsStatus.choices]
    )
    customer = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


class SmsTemplateForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "How kefu names the template when it sends, e.g. dispatch. It cannot be changed later."
        ),
    )
    name = forms.CharField(label=pgettext_lazy("a thing's name", "Name"), max_length=60)
    provider_template_id = forms.CharField(
        label=_("Template id at the provider"),
        max_length=60,
        required=False,
        help_text=_(
            "The template code in the Aliyun or Tencent Cloud console, e.g. SMS_123456789 or 1110; empty: the code above."
        ),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("As approved at the provider, with the variables in braces: {name}, {number}."),
    )
    optional_variables = forms.CharField(
        label=_("Variables that may be left empty"),
        max_length=300,
        required=False,
        help_text=_(
            "Separated by commas. Every other variable needs a value when the SMS is sent."
        ),
    )

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["code"].required = False

    def optional_names(self) -> list[str]:
        return [
            name
            for name in re.split(r"[\s,，、;；]+", self.cleaned_data.get("optional_variables", ""))
            if name
        ]
