"""Showing a customer's e-mail in the workspace."""

from django import template

from kefu.conversations.email.parsing import sanitise_html

register = template.Library()

# The document an e-mail's HTML is shown in: `<iframe sandbox srcdoc="…">` (no scripts, no forms,
# its own opaque origin) and a policy that loads nothing from anywhere, so opening the mail tells
# nobody that it was read. Inline parts (cid:) are not served; they show as missing images.
MAIL_POLICY = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'"
MAIL_DOCUMENT = (
    '<!doctype html><html><head><meta charset="utf-8">'
    f'<meta http-equiv="Content-Security-Policy" content="{MAIL_POLICY}">'
    '<meta name="referrer" content="no-referrer">'
    "<style>body{{margin:.5rem;font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "overflow-wrap:anywhere}}img{{max-width:100%}}</style></head><body>{body}</body></html>"
)


@register.filter
def mail_document(html: str) -> str:
    """The stored HTML, cleaned again with today's rules, as a whole document for `srcdoc`. Not
    marked safe: the template escapes it into the attribute, which the browser decodes back."""
    return MAIL_DOCUMENT.format(body=sanitise_html(html or ""))
