"""The one interface every SMS provider implements; provider specifics stay in its module."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class OutgoingSms:
    to: str  # E.164, e.g. +8613800138000
    template_id: str  # the provider's template id
    params: dict[str, str]
    variables: list[str] = field(
        default_factory=list
    )  # the template's variables in order, when known
    text: str = ""  # rendered for display (the console backend writes it)

    @property
    def ordered_values(self) -> list[str]:
        """The values in the template's order (providers that take a list instead of names)."""
        names = self.variables or list(self.params)
        return [str(self.params.get(name, "")) for name in names]


@dataclass(frozen=True)
class ProviderAnswer:
    ok: bool
    provider_message_id: str = ""
    error: str = ""


class SmsBackend:
    name = ""

    def send(self, sms: OutgoingSms) -> ProviderAnswer:
        raise NotImplementedError


def http_call(request: urllib.request.Request) -> tuple[int, dict]:
    """(status, JSON body) of one request; the body of an error answer is read too, because providers
    put the reason there. A network failure raises OSError."""
    try:
        with urllib.request.urlopen(request, timeout=settings.KEFU_SMS_TIMEOUT_SECONDS) as response:  # noqa: S310 (configured https endpoint)
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        body = json.loads(raw.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        body = {}
    return status, body if isinstance(body, dict) else {}
