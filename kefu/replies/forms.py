from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.accounts.roles import Perm
from kefu.replies.models import ReplyCategory

PERSONAL, EVERYONE = "personal", "everyone"


class ReplyForm(forms.Form):
    scope = forms.ChoiceField(label=_("Who uses it"))
    shortcut = forms.CharField(
        label=_("Shortcut"),
        max_length=30,
        help_text=_("Typed after / in the reply box, e.g. hello."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    title = forms.CharField(
        label=_("Title"), max_length=80, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=ReplyCategory.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=2000,
        help_text=_("Variables: {customer_name}, {agent_name}."),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )

    def __init__(self, *args, user, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if user.has_perm(Perm.SERVE_CUSTOMERS):
            choices.append((PERSONAL, _("Only me (personal)")))
        if user.has_perm(Perm.ASSIGN_WORK):
            choices.append((EVERYONE, _("Every agent")))
            choices += [
                (f"team:{t.pk}", _("Team: %(name)s") % {"name": t.name})
                for t in Team.objects.order_by("name")
            ]
        self.fields["scope"].choices = choices
        self.fields["scope"].widget.attrs["class"] = "form-select"
        if editing is not None:
            self.fields["scope"].disabled = True

    def scope_values(self) -> tuple[bool, Team | None]:
        scope = self.cleaned_data["scope"]
        if scope == PERSONAL:
            return True, None
        if scope.startswith("team:"):
            return False, Team.objects.filter(pk=int(scope[5:])).first()
        return False, None


def scope_of(reply) -> str:
    if reply.owner_id:
        return PERSONAL
    return f"team:{reply.team_id}" if reply.team_id else EVERYONE
