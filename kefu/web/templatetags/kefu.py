from django import forms, template
from django.db.models import Model
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language

from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.models import Presence
from kefu.core.labels import choice_labels, duration_label

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with `changes` applied (filters stay in the URL)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def query_without(context, *keys) -> str:
    query = context["request"].GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


@register.filter
def masked(value, kind: str) -> str:
    """{{ user.mobile|masked:"mobile" }} → 138****1234 (the one masking helper)."""
    return mask(value, PersonalKind(kind))


@register.filter
def personal_text(value, viewer) -> str:
    """Free text with phone and ID numbers masked for viewers without the reveal permission:
    {{ ticket.content|personal_text:user }} (kefu.accounts.masking.mask_text)."""
    from kefu.accounts.masking import mask_text

    return mask_text(value, viewer=viewer)


@register.simple_tag
def presence_choices():
    return Presence.choices


@register.simple_tag(takes_context=True)
def render_card(context, card) -> str:
    """A workbench card (kefu.core.workbench.Card) or a panel, rendered with its own context over
    the page's, as {% include %} does: the page's context processors (the navigation, the unread
    count, the demo's progress) ran once for the page. render_to_string with the request ran them
    again for each card, eight times a workbench (bench/README.md, pages-tickets)."""
    template = context.template.engine.get_template(card.template)
    with context.push(card.context):
        return template.render(context)


@register.filter
def seconds_as_duration(value) -> str:
    """{{ 75|seconds_as_duration }} → "1分15秒" (in the active language); "—" when there is none."""
    return duration_label(value)


@register.filter
def label(obj: Model, field_name: str) -> str:
    """{{ call|label:"outcome" }}: the display label of a choice field (as get_outcome_display)."""
    value = getattr(obj, field_name)
    return choice_labels(type(obj), field_name, get_language()).get(value, value)


@register.filter
def plain_select(field) -> str:
    """{{ form.state|plain_select }}: a list's filter <select> written in one pass, the markup
    Django's widget templates give, where they include one template per option (a list page's five
    filters were a fifth of its server time, bench/README.md, pages-tickets). Anything but a
    single, optional choice without help or errors is drawn by its widget as usual."""
    widget = field.field.widget
    choices = list(field.field.choices)
    if (
        type(widget) is not forms.Select
        or field.field.required
        or field.help_text
        or field.errors
        or any(isinstance(label, list | tuple) for _value, label in choices)
    ):
        return str(field)
    value = field.value()
    current = "" if value is None else str(value)
    attrs = widget.build_attrs(widget.attrs, {"id": field.auto_id} if field.auto_id else {})
    options = format_html_join(
        "\n",
        '  <option value="{}"{}>{}</option>',
        (
            (choice, " selected" if str(choice) == current else "", label)
            for choice, label in choices
        ),
    )
    return format_html(
        '<select name="{}"{}>\n{}\n</select>',
        field.html_name,
        format_html_join("", ' {}="{}"', attrs.items()),
        options,
    )
