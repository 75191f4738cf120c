"""Managers' settings for the chat widget inboxes (渠道): name, the sites that may embed it, greeting,
team and skill, the routing-only main account, pre-sales, auto-close; and the snippet to paste."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.roles import Perm
from kefu.conversations.models import ChannelKind, Inbox
from kefu.conversations.services import inboxes
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.forms import StyledFormMixin


class InboxForm(StyledFormMixin, forms.ModelForm):
    origins = forms.CharField(
        label=gettext_lazy("Sites that may embed the chat"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line, e.g. https://shop.example.cn"),
    )

    class Meta:
        model = Inbox
        fields = list(inboxes.INBOX_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["origins"].initial = "\n".join(self.instance.allowed_origins)

    def clean_origins(self) -> list[str]:
        lines = [line for line in self.cleaned_data["origins"].splitlines() if line.strip()]
        try:
            for line in lines:
                inboxes.normalise_origin(line)
        except DomainError as refusal:
            raise forms.ValidationError(refusal.message) from refusal
        return lines


@require_perm(Perm.MANAGE_SETTINGS)
def inbox_list(request):
    return render(request, "conversations/settings_inboxes.html", {
        "inboxes": Inbox.objects.filter(kind=ChannelKind.WEB).select_related("team"),
    })


@require_perm(Perm.MANAGE_SETTINGS)
def inbox_edit(request, inbox_id: int | None = None):
    inbox = get_object_or_404(Inbox, pk=inbox_id, kind=ChannelKind.WEB) if inbox_id else Inbox(kind=ChannelKind.WEB)
    form = InboxForm(request.POST or None, instance=inbox)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        inbox = inboxes.save_inbox(actor=request.user, inbox=inbox if inbox.pk else None, origins=data["origins"],
                                   request=request, **{name: data[name] for name in inboxes.INBOX_FIELDS})
        messages.success(request, _("Chat inbox “%(name)s” saved.") % {"name": inbox.name})
        return redirect("inbox_settings:edit", inbox_id=inbox.pk)
    snippet = (
        f'<script src="{request.scheme}://{request.get_host()}/static/kefu/widget.js" data-inbox="{inbox.public_key}" async></script>'
        if inbox.pk else ""
    )
    return render(request, "conversations/settings_inbox_form.html", {"form": form, "inbox": inbox, "snippet": snippet})


app_name = "inbox_settings"
urlpatterns = [
    path("", inbox_list, name="list"),
    path("new/", inbox_edit, name="create"),
    path("<int:inbox_id>/", inbox_edit, name="edit"),
]
