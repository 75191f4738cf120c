"""How long ago something happened, as a person says it: 刚刚 under a minute, not "0 分钟"."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value: dt.datetime | None) -> str:
    """`{{ moment|ago }}`: "just now" (刚刚) within a minute, else "N minutes ago" (N 分钟前)…"""
    if not value:
        return ""
    if timezone.now() - value < dt.timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value, depth=1)}
