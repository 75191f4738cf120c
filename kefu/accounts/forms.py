from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import SetPasswordForm as DjangoSetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import AuditAction, Department, Presence, Skill, Team, User
from kefu.accounts.roles import Role
from kefu.core.forms import StyledFormMixin


class SignInForm(StyledFormMixin, forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TwoFactorForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=40,  # a recovery code is longer than the 6 digits
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class PresenceForm(StyledFormMixin, forms.Form):
    presence = forms.ChoiceField(choices=Presence.choices)


class UserCreateForm(StyledFormMixin, forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[A-Za-z0-9_.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and . @ + - _ only.")},
    )
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    mobile = forms.RegexField(
        label=_("Mobile"),
        regex=r"^\+?[0-9 -]{7,20}$",
        required=False,
        error_messages={"invalid": _("Enter a mobile number such as 13800138000.")},
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, max_length=256
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if actor is not None and actor.role != Role.ADMINISTRATOR:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.ADMINISTRATOR]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("username"):
            try:
                validate_password(
                    data["password"], User(username=data["username"], email=data.get("email", ""))
                )
            except ValidationError as error:
                self.add_error("password", error)
        return data


class RoleForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DepartmentForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "code", "is_customer_service", "description"]


class TeamForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "department", "skills", "work_start", "work_end"]
        widgets = {
            "work_start": forms.TimeInput(attrs={"type": "time"}),
            "work_end": forms.TimeInput(attrs={"type": "time"}),
            "skills": forms.CheckboxSelectMultiple,
        }

    def clean(self):
        data = super().clean()
        if (
            data.get("work_start")
            and data.get("work_end")
            and data["work_start"] >= data["work_end"]
        ):
            self.add_error("work_end", _("The working hours must end after they start."))
        return data


class SkillForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Skill
        fields = ["name", "code"]


class UserFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("All roles")), *Role.choices], required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=_("All departments"),
    )


class AuditFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Object or address"), required=False, max_length=100)
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("All actions")), *AuditAction.choices], required=False
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PasswordChangeForm(StyledFormMixin, DjangoPasswordChangeForm):
    """Old password, new password twice; the new one must pass the password rules (settings)."""


class SetPasswordForm(StyledFormMixin, DjangoSetPasswordForm):
    """A user administrator sets someone's new password, twice, under the same rules."""
