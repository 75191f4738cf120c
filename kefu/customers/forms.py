from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Skill
from kefu.core.forms import StyledFormMixin
from kefu.customers.models import CustomField, FieldType, Gender, IdentityKind, Level, Source
from kefu.customers.services.profiles import ContactKind


class CustomerForm(StyledFormMixin, forms.Form):
    """The profile form for create and edit. Contact points are typed in per kind, one per line."""

    name = forms.CharField(label=_("Full name"), max_length=60)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN)
    mobiles = forms.CharField(
        label=_("Mobile numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. 13800138000 or +86 138 0013 8000."),
    )
    phone = forms.CharField(label=_("Landline"), max_length=20, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=120, required=False)
    qq = forms.CharField(label=_("QQ"), max_length=12, required=False)
    wangwang = forms.CharField(label=_("Wangwang"), max_length=120, required=False)
    region = forms.CharField(label=_("Province"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    district = forms.CharField(label=_("District"), max_length=30, required=False)
    street = forms.CharField(label=_("Street"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    level = forms.ChoiceField(
        label=_("Membership level"), choices=Level.choices, initial=Level.REGULAR
    )
    member_no = forms.CharField(label=_("Membership card no."), max_length=40, required=False)
    card_no = forms.CharField(label=_("Stored-value card no."), max_length=40, required=False)
    source = forms.ChoiceField(
        label=_("Source channel"), choices=Source.choices, initial=Source.PHONE
    )
    needed_skill = forms.ModelChoiceField(
        label=_("Skill needed"), queryset=Skill.objects.all(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=300, required=False, help_text=_("Separate with commas.")
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = list(CustomField.objects.all())
        for definition in self.custom_fields:
            name = f"custom_{definition.code}"
            if definition.field_type == FieldType.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "—"), *[(c, c) for c in definition.choices]], required=False
                )
            elif definition.field_type == FieldType.DATE:
                field = forms.DateField(
                    required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            elif definition.field_type == FieldType.NUMBER:
                field = forms.DecimalField(required=False)
            else:
                field = forms.CharField(required=False, max_length=200)
            field.label = definition.label
            field.widget.attrs["class"] = (
                "form-select" if definition.field_type == FieldType.CHOICE else "form-control"
            )
            self.fields[name] = field

    def profile(self) -> dict:
        data = self.cleaned_data
        keys = [
            "name",
            "gender",
            "phone",
            "email",
            "region",
            "city",
            "district",
            "street",
            "address",
            "level",
            "member_no",
            "card_no",
            "source",
            "notes",
            "needed_skill",
        ]
        return {k: data[k] for k in keys}

    def contact_values(self) -> dict[str, list[str]]:
        data = self.cleaned_data
        return {
            IdentityKind.MOBILE: [line for line in data["mobiles"].splitlines() if line.strip()],
            IdentityKind.WECHAT: [data["wechat"]],
            IdentityKind.QQ: [data["qq"]],
            IdentityKind.WANGWANG: [data["wangwang"]],
        }

    def tag_names(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].replace("，", ",").split(",") if t.strip()]

    def custom_values(self) -> dict:
        return {d.code: self.cleaned_data.get(f"custom_{d.code}") or "" for d in self.custom_fields}


class ContactForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("How"), choices=list(ContactKind.LABELS.items()))
    note = forms.CharField(label=_("What was said"), max_length=250, required=False)


class FlagForm(StyledFormMixin, forms.Form):
    doubt = forms.CharField(label=_("What looks wrong"), max_length=200)


class SearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=30)
    level = forms.ChoiceField(
        label=_("Level"), choices=[("", _("All levels")), *Level.choices], required=False
    )
    region = forms.CharField(label=_("Province"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=30)
    district = forms.CharField(label=_("District"), required=False, max_length=30)
    unassigned = forms.BooleanField(label=_("Without owner"), required=False)
    field = forms.ChoiceField(label=_("Custom field"), required=False)
    field_value = forms.CharField(label=_("Value"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = list(CustomField.objects.all())
        self.fields["field"].choices = [("", _("Any field"))] + [
            (f.code, f.label) for f in self.custom_fields
        ]
