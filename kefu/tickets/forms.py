from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.core import search
from kefu.core.forms import StyledFormMixin
from kefu.tickets.actions import _category_choices
from kefu.tickets.models import Channel, NoteKind
from kefu.tickets.states import Priority, TicketState, TicketType

VIEW_LABELS = {
    "": _("All"),
    "mine": _("Mine"),
    "my_department": _("My department"),
    "unassigned": _("Unassigned"),
    "about_to_breach": _("About to breach"),
    "awaiting_approval": _("Waiting for approval"),
}


class SearchField(forms.CharField):
    """Whatever was typed is searched for as words (kefu.core.search keeps the first 200
    characters): control characters become spaces instead of refusing the whole filter form."""

    def to_python(self, value):
        return search.clean_query(super().to_python(value))


class TicketFilterForm(StyledFormMixin, forms.Form):
    q = SearchField(label=_("Search"), required=False)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *TicketType.choices]
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states")), ("open", _("Open")), *TicketState.choices],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("All priorities")), *Priority.choices]
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None, choices=_category_choices
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("", _("Newest first")), ("oldest", _("Oldest first"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read the categories once: a callable is read again for checking and for drawing the list.
        self.fields["category"].choices = _category_choices()


class TicketCreateForm(StyledFormMixin, forms.Form):
    type = forms.ChoiceField(
        label=_("Type"), choices=TicketType.choices, initial=TicketType.CONSULTATION
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    content = forms.CharField(
        label=_("Content"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    customer = forms.IntegerField(
        label=_("Customer no."),
        required=False,
        min_value=1,
        help_text=_("From the customer's page; leave empty when the caller is unknown."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None, choices=_category_choices
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    complainant = forms.CharField(
        label=_("Complainant"),
        required=False,
        max_length=60,
        help_text=_("Complaints: who complains, if not the customer."),
    )


class NoteForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NoteKind.choices)
    body = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TicketFieldsForm(StyledFormMixin, forms.Form):
    """Priority and category of an open ticket (调配); its time limits follow them."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None, choices=_category_choices
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()
