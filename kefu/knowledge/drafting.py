"""The optional language model (issue 17.5): drafted replies and conversation summaries from an
OpenAI-compatible endpoint (a local model server such as llama.cpp's, vLLM or Ollama), grounded in
the articles agent assist retrieved. Off unless `KEFU_LLM_URL` is set: nothing is sent anywhere
without it, and everything else in the knowledge base works the same.

What is sent: the customer's words (or the chat's last messages) with mobile, landline and ID
numbers masked, and the title and text of the retrieved published articles. What comes back is shown
to the agent as a draft, escaped, never sent to the customer by itself."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.accounts.masking import mask_text
from kefu.core.errors import DomainError, NotFound
from kefu.knowledge.models import Article

logger = logging.getLogger(__name__)

# What one article may add to a prompt, and how many articles: a small local model has a small
# context window.
ARTICLE_CHARS = 1200
MAX_ARTICLES = 3
CONVERSATION_CHARS = 4000
ANSWER_CHARS = 4000

DRAFT_INSTRUCTIONS = (
    "你是网店的客服助手，为人工客服起草一条回复。只使用下面知识库文章中的信息；"
    "文章没有写到的内容不要编造，请写“这一点我帮您确认后回复您”。"
    "语气礼貌、简洁，用简体中文，不超过150字，只输出回复正文。"
)
SUMMARY_INSTRUCTIONS = (
    "你是客服主管的助手。用简体中文把下面的客服对话总结成三到五条要点："
    "客户的问题、已经做了什么、还需要做什么。可参考知识库文章，但不要编造。只输出要点。"
)


class ModelUnavailable(DomainError):
    """The configured model did not give an answer (down, slow, an error, an unreadable answer)."""

    status_code = 502


def enabled() -> bool:
    return bool(settings.KEFU_LLM_URL)


@dataclass(frozen=True)
class Draft:
    text: str
    articles: list[Article]


def _articles_block(articles: Sequence[Article]) -> str:
    if not articles:
        return "（没有找到相关文章）"
    return "\n\n".join(
        f"【{a.title}】\n{a.body[:ARTICLE_CHARS]}" for a in list(articles)[:MAX_ARTICLES]
    )


def complete(*, instructions: str, content: str) -> str:
    """One chat completion: the model's answer text. Any failure (not configured, unreachable,
    slow, an error status, an answer of another shape, an empty answer) is a DomainError with a
    message the agent can read; the details go to the log."""
    if not enabled():
        raise NotFound(_("No language model is configured."))
    url = settings.KEFU_LLM_URL.rstrip("/") + "/chat/completions"
    body = json.dumps(
        {
            "model": settings.KEFU_LLM_MODEL,
            "messages": [
                {"role": "system", "content": instructions},
                {"role": "user", "content": content},
            ],
            "temperature": 0.2,
            "stream": False,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if settings.KEFU_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.KEFU_LLM_API_KEY}"
    unavailable = _("The language model did not answer; write the reply yourself or try again.")
    if not url.startswith(("http://", "https://")):  # never file: or another scheme
        logger.warning("KEFU_LLM_URL must be an http(s) address, not %r", settings.KEFU_LLM_URL)
        raise ModelUnavailable(unavailable)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) checked above)
    try:
        with urllib.request.urlopen(  # noqa: S310 (the endpoint the administrator configured)
            request, timeout=settings.KEFU_LLM_TIMEOUT_SECONDS
        ) as response:
            raw = response.read(1_000_000)
    except (OSError, ValueError) as error:  # URLError, HTTPError, timeouts, a bad URL
        logger.warning("language model at %s: %s", url, error)
        raise ModelUnavailable(unavailable) from None
    try:
        answer = json.loads(raw.decode("utf-8"))["choices"][0]["message"]["content"]
    except (ValueError, UnicodeDecodeError, KeyError, IndexError, TypeError) as error:
        logger.warning("language model at %s: unreadable answer: %r", url, error)
        raise ModelUnavailable(unavailable) from None
    if not isinstance(answer, str) or not answer.strip():
        raise ModelUnavailable(unavailable)
    return answer.strip()[:ANSWER_CHARS]


def draft_reply(*, customer_text: str, articles: Sequence[Article]) -> Draft:
    """A reply for the agent to check, from the customer's words and the retrieved articles."""
    question = mask_text(customer_text, viewer=None).strip()
    if not question:
        raise DomainError(_("The customer has not written anything to answer yet."))
    content = f"知识库文章：\n{_articles_block(articles)}\n\n客户的问题：\n{question[:2000]}"
    used = list(articles)[:MAX_ARTICLES]
    return Draft(text=complete(instructions=DRAFT_INSTRUCTIONS, content=content), articles=used)


def summarise(*, lines: Sequence[str], articles: Sequence[Article]) -> Draft:
    """Key points of a conversation (or a ticket), for the agent to check."""
    transcript = mask_text("\n".join(lines), viewer=None).strip()[-CONVERSATION_CHARS:]
    if not transcript:
        raise DomainError(_("There is nothing to summarise yet."))
    content = f"知识库文章：\n{_articles_block(articles)}\n\n对话：\n{transcript}"
    used = list(articles)[:MAX_ARTICLES]
    return Draft(text=complete(instructions=SUMMARY_INSTRUCTIONS, content=content), articles=used)
