"""Outgoing HTTP for webhooks and robots, guarded against reaching inside the network (SSRF).

A target is checked when it is saved and again at every send: the host is resolved, every address
it resolves to must be public (not private, loopback, link-local, multicast, reserved or
unspecified, also when written as one number such as 2130706433 or as an IPv4-mapped IPv6
address), and the connection goes to the address that was checked (pinned), so a second lookup
cannot swap it for an inner one. Redirects are never followed: a 3xx answer is a failed try.

Tests talk to a local HTTP server: `settings.AUTOMATION_ALLOW_LOOPBACK` (tests only, never in
production settings) lets loopback addresses through, and nothing else.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024


class TargetRefused(Exception):
    """The URL may not be called; the message says why, in the reader's language."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    address: str  # the checked address the connection goes to


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback and getattr(settings, "AUTOMATION_ALLOW_LOOPBACK", False):
        return True
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str) -> Target:
    """The target `url` points at, resolved and checked; TargetRefused otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise TargetRefused(_("This is not a valid web address.")) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("Only http:// and https:// addresses can be called."))
    if parts.username or parts.password:
        raise TargetRefused(_("The address may not contain a user name or password."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(
            _("The host %(host)s could not be found.") % {"host": parts.hostname}
        ) from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise TargetRefused(_("The host %(host)s could not be found.") % {"host": parts.hostname})
    for address in addresses:
        if not _allowed(address):
            raise TargetRefused(
                _(
                    "%(host)s leads to %(address)s, an address inside a private network; "
                    "only addresses on the public Internet can be called."
                )
                % {"host": parts.hostname, "address": address}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    location: str = ""


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float = TIMEOUT_SECONDS
) -> Answer:
    """POST `body` to the checked, pinned address of `url`. Raises TargetRefused or OSError."""
    target = check_url(url)
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(target, timeout) if target.scheme == "https" else _PinnedHTTP(target, timeout)
    )
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8", **headers},
        )
        response = connection.getresponse()
        text = response.read(MAX_ANSWER_BYTES).decode("utf-8", "replace")
        return Answer(response.status, text, response.getheader("Location") or "")
    finally:
        connection.close()
