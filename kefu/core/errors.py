"""Errors the domain raises on purpose. Entry points turn them into a clear message (never a trace)."""


class DomainError(Exception):
    """A business rule refused the action. The message is for the user, already translated."""

    status_code = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = str(message)

    def __str__(self) -> str:
        return self.message


class Conflict(DomainError):
    """Somebody else changed the object first; the user should look at its fresh state."""

    status_code = 409


class PermissionRefused(DomainError):
    status_code = 403
