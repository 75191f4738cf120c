"""Logging in to an inbox's IMAP and SMTP servers, and saying in the user's words why it failed.

Polling (services.poll_inbox) opens IMAP through open_imap; the "test connection" button of the
settings page runs probe_mail_servers with settings that may not be saved yet. Every failure becomes a
MailFailure: a MailProblem (what to check) and the server's own words, cut short, never a stack
trace and never the password.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import smtplib
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kefu.conversations.models import MailProblem, MailSettings
from kefu.core.crypto import SecretUnreadable
from kefu.core.errors import DomainError

POLL_TIMEOUT_SECONDS = 30
CHECK_TIMEOUT_SECONDS = 8
MAX_DETAIL = 200


class MailFailure(DomainError):
    """Logging in or talking to a mail server failed; `problem` says what to check, `temporary`
    whether trying again later may succeed (the server could not be reached, or answered 4xx)."""

    def __init__(self, problem: MailProblem, detail: str = "", *, temporary: bool = False):
        self.problem = problem
        self.detail = detail
        self.temporary = temporary
        super().__init__(str(problem.label) + (f" ({detail})" if detail else ""))


def clean_detail(text: object, *, secret: str = "") -> str:
    """A server's words made safe to store and show: text, one line, short, the password masked."""
    if isinstance(text, BaseException) and len(text.args) == 1:
        text = text.args[0]  # imaplib's errors carry the server's bytes
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "replace")
    elif isinstance(text, list | tuple):
        text = " ".join(clean_detail(part) for part in text)
    text = str(text)
    if secret:
        text = text.replace(secret, "***")
    text = re.sub(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def classify_mail_error(error: BaseException, *, secret: str = "") -> MailFailure:
    """The MailFailure that explains `error` (raised while connecting, logging in or talking). The one
    place that decides what a mail error means: the settings page, polling and the reply retries
    (services.describe_failure) all read it from here."""
    if isinstance(error, MailFailure):
        return error
    if isinstance(error, SecretUnreadable):
        return MailFailure(MailProblem.PASSWORD_UNREADABLE)
    if isinstance(error, socket.gaierror):
        return MailFailure(
            MailProblem.HOST_NOT_FOUND, clean_detail(error.strerror or error), temporary=True
        )
    if isinstance(error, TimeoutError):
        return MailFailure(MailProblem.TIMEOUT, temporary=True)
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return MailFailure(MailProblem.TLS, clean_detail(getattr(error, "reason", None) or error))
    if isinstance(error, ConnectionRefusedError):
        return MailFailure(MailProblem.REFUSED, temporary=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        error = smtplib.SMTPResponseException(code, text)  # the answer about the first recipient
    if isinstance(error, smtplib.SMTPResponseException):
        problem = (
            MailProblem.LOGIN
            if isinstance(error, smtplib.SMTPAuthenticationError)
            else MailProblem.SERVER
        )
        return MailFailure(
            problem,
            clean_detail(f"{error.smtp_code} {clean_detail(error.smtp_error)}", secret=secret),
            temporary=400 <= error.smtp_code < 500,
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if isinstance(error.__context__, TimeoutError):  # smtplib wraps a read that timed out
            return MailFailure(MailProblem.TIMEOUT, temporary=True)
        return MailFailure(MailProblem.SERVER, clean_detail(error, secret=secret), temporary=True)
    if isinstance(error, smtplib.SMTPException | imaplib.IMAP4.error):
        return MailFailure(MailProblem.SERVER, clean_detail(error, secret=secret))
    if isinstance(error, OSError):
        return MailFailure(
            MailProblem.UNREACHABLE,
            clean_detail(error.strerror or type(error).__name__),
            temporary=True,
        )
    return MailFailure(MailProblem.OTHER, type(error).__name__)


def open_imap(
    config: MailSettings, *, password: str, timeout: float = POLL_TIMEOUT_SECONDS
) -> imaplib.IMAP4:
    """An IMAP session logged in with `password` and with the inbox's folder selected. The caller
    logs out. Raises MailFailure."""
    client: imaplib.IMAP4
    try:
        if config.imap_ssl:
            client = imaplib.IMAP4_SSL(
                config.imap_host,
                config.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=timeout,
            )
        else:
            client = imaplib.IMAP4(config.imap_host, config.imap_port, timeout=timeout)
    except Exception as error:
        raise classify_mail_error(error, secret=password) from error
    try:
        try:
            client.login(config.username, password)
        except imaplib.IMAP4.error as error:
            if isinstance(error, imaplib.IMAP4.abort):
                raise
            raise MailFailure(MailProblem.LOGIN, clean_detail(error, secret=password)) from error
        status, data = client.select(config.imap_folder)
        if status != "OK":
            raise MailFailure(
                MailProblem.FOLDER,
                clean_detail(f"{config.imap_folder}: {clean_detail(data)}", secret=password),
            )
    except Exception as error:
        with contextlib.suppress(Exception):
            client.shutdown()
        raise classify_mail_error(error, secret=password) from error
    return client


def check_imap(
    config: MailSettings, *, password: str, timeout: float = CHECK_TIMEOUT_SECONDS
) -> None:
    """Log in to IMAP, open the folder, log out. Raises MailFailure."""
    client = open_imap(config, password=password, timeout=timeout)
    with contextlib.suppress(Exception):
        client.logout()


def check_smtp(
    config: MailSettings, *, password: str, timeout: float = CHECK_TIMEOUT_SECONDS
) -> None:
    """Greet the SMTP server, switch to TLS when asked, log in, quit. Raises MailFailure."""
    client: smtplib.SMTP | None = None
    try:
        if config.smtp_ssl:
            client = smtplib.SMTP_SSL(
                config.smtp_host,
                config.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=timeout)
        client.ehlo()
        if config.smtp_starttls and not config.smtp_ssl:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        client.login(config.username, password)
    except Exception as error:
        raise classify_mail_error(error, secret=password) from error
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.quit()
            with contextlib.suppress(Exception):
                client.close()


@dataclass(frozen=True)
class CheckResult:
    """One server's answer to the connection test: ok, or why not."""

    ok: bool
    problem: MailProblem | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        return str(self.problem.label) if self.problem is not None else ""


@dataclass(frozen=True)
class ConnectionReport:
    imap: CheckResult
    smtp: CheckResult

    @property
    def ok(self) -> bool:
        return self.imap.ok and self.smtp.ok


def _result(check, config: MailSettings, password: str, timeout: float) -> CheckResult:
    try:
        check(config, password=password, timeout=timeout)
    except MailFailure as failure:
        return CheckResult(ok=False, problem=failure.problem, detail=failure.detail)
    return CheckResult(ok=True)


def probe_mail_servers(
    config: MailSettings, *, password: str, timeout: float = CHECK_TIMEOUT_SECONDS
) -> ConnectionReport:
    """Log in to IMAP and SMTP at the same time (the answer comes within `timeout`, about)."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail-check") as pool:
        imap = pool.submit(_result, check_imap, config, password, timeout)
        smtp = pool.submit(_result, check_smtp, config, password, timeout)
        return ConnectionReport(imap=imap.result(), smtp=smtp.result())
