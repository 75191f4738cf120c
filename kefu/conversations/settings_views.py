"""Managers' settings for the inboxes (渠道). Chat widget inboxes: name, the sites that may embed it,
greeting, team and skill, the routing-only main account, pre-sales, auto-close; and the snippet to
paste. E-mail inboxes: the same routing settings and the mailbox (address, IMAP, SMTP, user name,
write-only password), a connection test, and how the last fetch went."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.conversations.models import ChannelKind, Inbox, MailSettings
from kefu.conversations.services import inboxes, mail_inboxes
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.forms import StyledFormMixin


class InboxForm(StyledFormMixin, forms.ModelForm):
    origins = forms.CharField(
        label=gettext_lazy("Sites that may embed the chat"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
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


_INBOX_FORM_FIELDS = forms.fields_for_model(Inbox, fields=mail_inboxes.EMAIL_INBOX_FIELDS)
_MAIL_FORM_FIELDS = forms.fields_for_model(MailSettings, fields=mail_inboxes.MAIL_FIELDS)


def _port_field(name: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=_MAIL_FORM_FIELDS[name].label,
        initial=_MAIL_FORM_FIELDS[name].initial,
        error_messages={"invalid": mail_inboxes.PORT_ERROR, "required": mail_inboxes.PORT_ERROR},
    )


def _text_field(name: str, required_message, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=_MAIL_FORM_FIELDS[name].label,
        max_length=_MAIL_FORM_FIELDS[name].max_length,
        error_messages={"required": required_message},
        **kwargs,
    )


class EmailInboxForm(StyledFormMixin, forms.Form):
    """Parses the page; mail_inboxes.mail_settings_problems says what is wrong (the service checks
    again when saving)."""

    name = _INBOX_FORM_FIELDS["name"]
    address = forms.EmailField(
        label=_MAIL_FORM_FIELDS["address"].label,
        help_text=_MAIL_FORM_FIELDS["address"].help_text,
        error_messages={
            "required": mail_inboxes.ADDRESS_REQUIRED,
            "invalid": mail_inboxes.ADDRESS_REQUIRED,
        },
    )
    team = _INBOX_FORM_FIELDS["team"]
    needed_skill = _INBOX_FORM_FIELDS["needed_skill"]
    main_account = _INBOX_FORM_FIELDS["main_account"]
    auto_close_minutes = _INBOX_FORM_FIELDS["auto_close_minutes"]
    imap_host = _text_field(
        "imap_host",
        mail_inboxes.HOST_REQUIRED,
        help_text=gettext_lazy("For example imap.exmail.qq.com."),
    )
    imap_port = _port_field("imap_port")
    imap_ssl = forms.BooleanField(
        label=_MAIL_FORM_FIELDS["imap_ssl"].label,
        required=False,
        initial=True,
        help_text=gettext_lazy("Usually on, with port 993."),
    )
    imap_folder = _text_field("imap_folder", mail_inboxes.FOLDER_REQUIRED, initial="INBOX")
    smtp_host = _text_field(
        "smtp_host",
        mail_inboxes.HOST_REQUIRED,
        help_text=gettext_lazy("For example smtp.exmail.qq.com."),
    )
    smtp_port = _port_field("smtp_port")
    smtp_ssl = forms.BooleanField(
        label=_MAIL_FORM_FIELDS["smtp_ssl"].label,
        required=False,
        initial=True,
        help_text=gettext_lazy("Usually on, with port 465."),
    )
    smtp_starttls = forms.BooleanField(
        label=_MAIL_FORM_FIELDS["smtp_starttls"].label,
        required=False,
        help_text=gettext_lazy("Instead of SSL, usually with port 587."),
    )
    username = _text_field(
        "username",
        mail_inboxes.USERNAME_REQUIRED,
        help_text=gettext_lazy("Usually the full e-mail address."),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    GROUPS = (
        (
            gettext_lazy("Inbox"),
            ("name", "address", "team", "needed_skill", "main_account", "auto_close_minutes"),
        ),
        (gettext_lazy("Receiving (IMAP)"), ("imap_host", "imap_port", "imap_ssl", "imap_folder")),
        (gettext_lazy("Sending (SMTP)"), ("smtp_host", "smtp_port", "smtp_ssl", "smtp_starttls")),
        (gettext_lazy("Signing in to the mailbox"), ("username", "password")),
    )
    MAILBOX_FIELDS = (*mail_inboxes.MAIL_FIELDS, "password")

    def __init__(self, *args, inbox: Inbox | None, config: MailSettings | None, **kwargs):
        self.stored = config
        initial = {}
        if inbox is not None:
            initial.update(forms.model_to_dict(inbox, fields=mail_inboxes.EMAIL_INBOX_FIELDS))
        if config is not None:
            initial.update(forms.model_to_dict(config, fields=mail_inboxes.MAIL_FIELDS))
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = (
            _(
                "A password is saved and never shown. Leave this empty to keep it; it is needed again when a server, port, SSL setting or the user name changes."
            )
            if config is not None and config.has_password
            else _(
                "The mailbox password, or the authorisation code your mail provider gives for IMAP/SMTP."
            )
        )

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def clean(self):
        data = super().clean()
        _values, problems = mail_inboxes.mail_settings_problems(
            values={f: data.get(f) for f in mail_inboxes.MAIL_FIELDS},
            password=data.get("password") or "",
            stored=self.stored,
        )
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    def add_refusal(self, refusal: mail_inboxes.MailSettingsInvalid) -> None:
        for field, message in refusal.errors.items():
            self.add_error(field if field in self.fields else None, message)

    def mailbox_errors(self) -> list[tuple[str, str]]:
        """(label, message) of the errors that stop a connection test."""
        return [
            (str(self.fields[f].label or "") if f in self.fields else "", str(message))
            for f, messages_ in self.errors.items()
            if f in self.MAILBOX_FIELDS or f == "__all__"
            for message in messages_
        ]


def _email_inbox(inbox_id: int | None) -> tuple[Inbox | None, MailSettings | None]:
    if inbox_id is None:
        return None, None
    inbox = get_object_or_404(Inbox, pk=inbox_id, kind=ChannelKind.EMAIL)
    return inbox, MailSettings.objects.filter(inbox=inbox).first()


@require_perm(Perm.MANAGE_SETTINGS)
def inbox_list(request):
    return render(
        request,
        "conversations/settings_inboxes.html",
        {
            "inboxes": Inbox.objects.filter(kind=ChannelKind.WEB).select_related("team"),
            "email_inboxes": Inbox.objects.filter(kind=ChannelKind.EMAIL).select_related(
                "team", "mail"
            ),
        },
    )


@require_perm(Perm.MANAGE_SETTINGS)
def inbox_edit(request, inbox_id: int | None = None):
    inbox = (
        get_object_or_404(Inbox, pk=inbox_id, kind=ChannelKind.WEB)
        if inbox_id
        else Inbox(kind=ChannelKind.WEB)
    )
    form = InboxForm(request.POST or None, instance=inbox)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        inbox = inboxes.save_inbox(
            actor=request.user,
            inbox=inbox if inbox.pk else None,
            origins=data["origins"],
            request=request,
            **{name: data[name] for name in inboxes.INBOX_FIELDS},
        )
        messages.success(request, _("Chat inbox “%(name)s” saved.") % {"name": inbox.name})
        return redirect("inbox_settings:edit", inbox_id=inbox.pk)
    snippet = (
        f'<script src="{request.scheme}://{request.get_host()}/static/kefu/widget.js" data-inbox="{inbox.public_key}" async></script>'
        if inbox.pk
        else ""
    )
    return render(
        request,
        "conversations/settings_inbox_form.html",
        {"form": form, "inbox": inbox, "snippet": snippet},
    )


@require_perm(Perm.MANAGE_SETTINGS)
def email_inbox_edit(request, inbox_id: int | None = None):
    inbox, config = _email_inbox(inbox_id)
    form = EmailInboxForm(request.POST or None, inbox=inbox, config=config)
    if request.method == "POST" and form.is_valid():
        try:
            inbox = mail_inboxes.save_email_inbox(
                actor=request.user, inbox=inbox, request=request, **form.cleaned_data
            )
        except mail_inboxes.MailSettingsInvalid as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("E-mail inbox “%(name)s” saved.") % {"name": inbox.name})
            return redirect("inbox_settings:email_edit", inbox_id=inbox.pk)
    return render(
        request,
        "conversations/settings_email_inbox_form.html",
        {"form": form, "inbox": inbox, "config": config},
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def email_inbox_check(request, inbox_id: int | None = None):
    """The "test connection" button: log in to IMAP and SMTP with the settings on the page, saved
    or not, and say which part failed and why. Nothing is saved."""
    inbox, config = _email_inbox(inbox_id)
    form = EmailInboxForm(request.POST, inbox=inbox, config=config)
    form.is_valid()  # the inbox's own fields (name, team…) do not matter for the test
    errors = form.mailbox_errors()
    report = None
    if not errors:
        data = form.cleaned_data
        try:
            report = mail_inboxes.check_mail_connection(
                actor=request.user,
                inbox=inbox,
                password=data.get("password") or "",
                **{f: data[f] for f in mail_inboxes.MAIL_FIELDS},
            )
        except mail_inboxes.MailSettingsInvalid as refusal:
            form.add_refusal(refusal)
            errors = form.mailbox_errors()
    context = {
        "form": form,
        "inbox": inbox,
        "config": config,
        "report": report,
        "check_errors": errors,
    }
    if request.headers.get("HX-Request"):
        return render(request, "conversations/_mail_check.html", context)
    return render(request, "conversations/settings_email_inbox_form.html", context)


app_name = "inbox_settings"
urlpatterns = [
    path("", inbox_list, name="list"),
    path("new/", inbox_edit, name="create"),
    path("<int:inbox_id>/", inbox_edit, name="edit"),
    path("email/new/", email_inbox_edit, name="email_create"),
    path("email/new/check/", email_inbox_check, name="email_check_new"),
    path("email/<int:inbox_id>/", email_inbox_edit, name="email_edit"),
    path("email/<int:inbox_id>/check/", email_inbox_check, name="email_check"),
]
