from django import forms
from django.utils.translation import gettext_lazy

from kefu.core.forms import StyledFormMixin
from kefu.knowledge.models import ArticleKind, Category, Visibility


class ArticleForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=ArticleKind.choices)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), empty_label=None
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Visibility"), choices=Visibility.choices, initial=Visibility.INTERNAL
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Separated by spaces or commas."),
    )
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 12})
    )
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=40, required=False)
    price = forms.DecimalField(
        label=gettext_lazy("Price (¥)"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    specs = forms.CharField(
        label=gettext_lazy("Specifications"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    care_notes = forms.CharField(
        label=gettext_lazy("Care notes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=gettext_lazy("What changed"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Shown in the version history."),
    )

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t for t in raw.replace("，", " ").replace(",", " ").split() if t]


class WordsForm(StyledFormMixin, forms.Form):
    synonyms = forms.CharField(
        label=gettext_lazy("Synonyms"),
        max_length=30_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "One group per line, words separated by spaces; the first is the word articles use "
            "(退款 退钱 返款)."
        ),
    )
    dictionary = forms.CharField(
        label=gettext_lazy("Domain dictionary"),
        max_length=60_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "Product names and shop terms kept whole when text is cut into words, one per line."
        ),
    )
