"""Does a customer's message read angry or urgent? Word lists, no model: anger words, a threat to
complain to the regulator (12315, 消协, 工商), a threat of a bad review (差评, 曝光), and the same
complaint repeated (the third message in a row that complains)."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

ANGER = (
    "垃圾", "骗子", "欺骗", "气死", "太差", "差劲", "恶心", "无语", "投诉", "坑人", "忽悠", "滚",
    "什么破", "破玩意", "退款退款", "还不处理", "到底", "多少次", "不耐烦", "生气", "愤怒", "受够",
    "岂有此理", "太过分", "欺负", "态度差", "态度恶劣",
)  # fmt: skip
REGULATOR = (
    "12315",
    "消协",
    "消费者协会",
    "工商",
    "市场监管",
    "315",
    "报警",
    "律师",
    "起诉",
    "法院",
)
BAD_REVIEW = ("差评", "曝光", "微博", "小红书", "黑猫投诉", "一星", "1星", "给差", "发抖音")
COMPLAINT = ("还没", "怎么还", "为什么还", "一直", "催", "几天了", "说好的", "没人", "没有人")
REPEATED = 3  # this many complaining messages in the customer's recent messages

REASON_LABELS = {
    "anger": _("Angry"),
    "regulator": _("Threatens the regulator"),
    "bad_review": _("Threatens a bad review"),
    "repeated": _("Complains again and again"),
}


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


# Every word of the lists in one pattern: may_flag runs for each customer's chat message on the
# message writer's thread (a thousand a second), where one scan beats sixty `in` tests.
_ANY_WORD = re.compile("|".join(re.escape(w) for w in ANGER + REGULATOR + BAD_REVIEW + COMPLAINT))


def may_flag(body: str) -> bool:
    """Whether `body` could be flagged at all, with no query: reasons() flags only a message that
    holds one of the words (or six ! and ?). The subscriber queues its task only for those."""
    text = _clean(body)[:5000]
    return _ANY_WORD.search(text) is not None or text.count("!") + text.count("?") >= 6


def reasons(body: str, *, earlier: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """The reasons `body` is flagged (in this order), none when it reads calm. `earlier`: the
    customer's previous messages in the chat, newest last."""
    text = _clean(body)[:5000]
    found = []
    if _has(text, ANGER) or text.count("!") + text.count("?") >= 6:
        found.append("anger")
    if _has(text, REGULATOR):
        found.append("regulator")
    if _has(text, BAD_REVIEW):
        found.append("bad_review")
    complaining = [m for m in [*earlier[-5:], body] if _has(_clean(m), COMPLAINT + ANGER)]
    if len(complaining) >= REPEATED and _has(text, COMPLAINT + ANGER):
        found.append("repeated")
    return found
