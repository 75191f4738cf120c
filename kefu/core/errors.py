"""Errors the domain raises on purpose. Entry points turn them into a clear message (never a trace)."""

from collections.abc import Container
from typing import TYPE_CHECKING, Any

if (
    TYPE_CHECKING
):  # a text or a lazily translated one (gettext_lazy); only the type checker knows it
    from django_stubs_ext import StrOrPromise as StrOrPromise  # re-exported: apps type messages
else:
    StrOrPromise = str


class DomainError(Exception):
    """A business rule refused the action. The message is for the user, already translated.

    `field` names the input the refusal is about (the API body's field, the form's field): the API
    answers it as a 422 naming the field, as a value the schema refuses; a page shows the message
    beside that field (form_field)."""

    status_code = 400

    def __init__(self, message: StrOrPromise = "", *, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does (the same answer: 404)."""

    status_code = 404


class Conflict(DomainError):
    """Somebody else changed the object first; the user should look at its fresh state.

    `current` is that fresh state as plain values (the API sends it beside the message)."""

    status_code = 409

    def __init__(self, message: StrOrPromise = "", *, current: dict[str, Any] | None = None):
        super().__init__(message)
        self.current = current


class PermissionRefused(DomainError):
    status_code = 403


class InvalidState(DomainError):
    """The object's state does not allow the action now (it is closed, already done); the message
    says which. Not a refusal by role (that is PermissionRefused, 403)."""

    status_code = 409


def form_field(error: DomainError, fields: Container[str]) -> str | None:
    """The field of a form (among `fields`) to show `error` beside; None: the form's own error."""
    return error.field if error.field in fields else None
