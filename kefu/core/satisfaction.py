"""The one satisfaction scale 满意度 of every channel: 1 to 5, each with its Chinese label.

A chat's rating (the visitor's stars), a complaint's return visit (追踪回访) and, later, surveys and
visits store this number, so that a month's figures per agent add up across channels: the average of
all answers, and how many fell on each level.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Satisfaction(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("Very dissatisfied")  # 非常不满意
    DISSATISFIED = 2, _("Dissatisfied")  # 不满意
    NEUTRAL = 3, _("Neutral")  # 一般
    SATISFIED = 4, _("Satisfied")  # 满意
    VERY_SATISFIED = 5, _("Very satisfied")  # 非常满意


def satisfaction_check(field: str, *, name: str) -> models.CheckConstraint:
    """The database's guard of a satisfaction column: empty, or 1 to 5."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
        name=name,
    )


def parse_satisfaction(value: int | str | None) -> int | None:
    """A level from a form or an API body (5, "5"); None when it is none of the five."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in Satisfaction.values else None
