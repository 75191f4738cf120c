from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.core.models import CalendarDayKind

if TYPE_CHECKING:  # the mixin goes before a Form or a ModelForm, whose fields it styles
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class StyledFormMixin(_FormBase):
    """Gives every widget Tabler's class, so templates render `{{ field }}` and nothing more."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields: no colon
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def set_choices(form: forms.BaseForm, name: str, choices: Sequence[tuple[Any, str]]) -> None:
    """The choices of the form's choice field `name`, known only when the form is made (the agents,
    the teams, an order's items)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # the form declares it a (Typed)ChoiceField
    field.choices = choices


class CalendarDayForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(
        label=_("Holiday name"),
        max_length=60,
        required=False,
        help_text=_("For example 春节 or 公司年会."),
    )
