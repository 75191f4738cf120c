"""Small helpers every list's search uses."""

from django.db.models import QuerySet


def filter_given(qs: QuerySet, **lookups) -> QuerySet:
    """`qs` filtered by the lookups whose value was given: a list's filters left empty (None, "", 0)
    do not narrow it."""
    return qs.filter(**{lookup: value for lookup, value in lookups.items() if value})
