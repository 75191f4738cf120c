"""Reading a customer's e-mail: headers for threading, the text, sanitised HTML, the attachments.

Bodies are decoded with their declared charset; GB2312 and GBK are read as GB18030 (their superset,
which many Chinese mail clients send under the older names). Plain text is preferred; a mail with
only HTML is sanitised with nh3 (no scripts, styles or event handlers) and remote images are
blocked: an `<img>` keeps its `src` only for inline parts (`cid:`), so opening the mail tells
nobody that it was read.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

import nh3

from kefu.core.text import strip_control_characters

TICKET_REF = re.compile(r"\[(TS\d{8}-\d{4,})\]")
_MSGID = re.compile(r"<[^<>\s]+>")
CHINESE_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
}

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
}


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    text: str
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    ticket_number: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [r for r in reversed(self.references) if r not in ids]
        return ids


def message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(str(value or ""))


def payload_bytes(part: Message) -> bytes:
    """A part's content, transfer-decoded (a multipart part has none)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def decode_part(part: Message) -> str:
    payload = payload_bytes(part)
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = CHINESE_ALIASES.get(charset, charset)
    try:
        return strip_control_characters(payload.decode(charset, errors="replace"))
    except LookupError:  # an unknown charset name
        return strip_control_characters(payload.decode("utf-8", errors="replace"))


def _keep_src(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None  # remote (or data:) images are blocked
    return value


def sanitise_html(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_src,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d|blockquote)>", "\n", markup)
    text = html_lib.unescape(nh3.clean(markup, tags=set()))
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_mail(raw: bytes) -> ParsedMail:
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = (message_ids(mail.get("Message-ID")) or [""])[0]
    if not message_id:  # without one, the same bytes fetched twice must still be one message
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@kefu.invalid>"
    subject = " ".join(strip_control_characters(str(mail.get("Subject", ""))).split())
    from_name, from_address = (getaddresses([str(mail.get("From", ""))]) or [("", "")])[0]
    text, html = "", ""
    body = mail.get_body(preferencelist=("plain", "html"))
    if body is not None and body.get_content_type() == "text/plain":
        text = decode_part(body).strip()
    elif body is not None:
        html = sanitise_html(decode_part(body))
        text = html_to_text(html)
    attachments = []
    for part in mail.iter_attachments():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        attachments.append(
            Attachment(
                name=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                data=payload_bytes(part),
            )
        )
    ticket = TICKET_REF.search(subject)
    return ParsedMail(
        message_id=message_id[:255],
        in_reply_to=(message_ids(mail.get("In-Reply-To")) or [""])[0][:255],
        references=message_ids(mail.get("References")),
        subject=subject[:255],
        from_name=strip_control_characters(from_name).strip()[:60],
        from_address=from_address.strip(),
        text=text,
        html=html,
        attachments=attachments,
        ticket_number=ticket.group(1) if ticket else "",
    )
