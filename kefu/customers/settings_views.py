"""Managers' settings for the customer archive: the custom fields 自定义字段 every record carries.
Every change goes through services.fields (audited)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.forms import StyledFormMixin
from kefu.core.pages import perform
from kefu.customers.models import CustomField, FieldType
from kefu.customers.services import fields


def _options(text: str) -> list[str]:
    """Options as typed one per line (or separated by commas, 、 or ，)."""
    for separator in (",", "，", "、"):
        text = text.replace(separator, "\n")
    return [line for line in text.splitlines() if line.strip()]


class FieldForm(StyledFormMixin, forms.Form):
    label = forms.CharField(label=gettext_lazy("Field name"), max_length=40)
    field_type = forms.ChoiceField(label=gettext_lazy("Kind"), choices=FieldType.choices)
    choices = forms.CharField(
        label=gettext_lazy("Options"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Choice fields only: one option per line."),
    )


class ChangeFieldForm(StyledFormMixin, forms.Form):
    label = forms.CharField(label=gettext_lazy("Field name"), max_length=40)
    choices = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
    position = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, max_value=999)


@require_perm(Perm.MANAGE_SETTINGS)
def field_settings(request):
    return render(
        request,
        "customers/field_settings.html",
        {"fields": CustomField.objects.all(), "form": FieldForm(), "max_fields": fields.MAX_FIELDS},
    )


def _run(request, service, success: str, **kwargs):
    return perform(
        request,
        lambda: service(actor=request.user, request=request, **kwargs),
        success=success,
        then="customer_settings:fields",
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def field_add(request):
    form = FieldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A field needs a name of at most 40 characters and a kind."))
        return redirect("customer_settings:fields")
    data = form.cleaned_data
    return _run(
        request,
        fields.define_custom_field,
        _("Field added: every customer record now shows it."),
        label=data["label"],
        field_type=data["field_type"],
        choices=_options(data["choices"]),
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def field_change(request, field_id: int):
    form = ChangeFieldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A field needs a name of at most 40 characters."))
        return redirect("customer_settings:fields")
    data = form.cleaned_data
    return _run(
        request,
        fields.change_custom_field,
        _("Field saved."),
        field_id=field_id,
        label=data["label"],
        choices=_options(data["choices"]),
        position=data["position"],
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def field_remove(request, field_id: int):
    return _run(request, fields.remove_custom_field, _("Field removed."), field_id=field_id)


app_name = "customer_settings"
urlpatterns = [
    path("", field_settings, name="fields"),
    path("add/", field_add, name="field_add"),
    path("<int:field_id>/", field_change, name="field_change"),
    path("<int:field_id>/remove/", field_remove, name="field_remove"),
]
