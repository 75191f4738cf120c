"""How the knowledge base understands a question: jieba with the shop's own dictionary, synonyms
(退钱 → 退款), words that say nothing dropped, then BM25/ts_rank from the database's full-text
index, boosted by a title match and by what agents picked before. Also the highlighting of the
words found. Every query is bounded (kefu.core.search.tokens: 200 characters, 12 words; here at
most 24 words with synonyms), so a hostile query is answered like any other."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kefu.core import search
from kefu.knowledge.models import DomainWord, SynonymGroup

MAX_WORDS = 24
CANDIDATES = 60  # matches read from the index before the boosts re-order them

# Words a customer says around a question; alone they find nothing worth showing.
_STOP = (
    "的 了 吗 呢 吧 啊 我 你 他 她 它 我们 你们 是 在 有 和 就 都 也 还 要 想 请问 请 问 一下 这个 那个 "
    "什么 怎么 怎么办 怎样 如何 可以 能 能不能 可不可以 好 没有 不 为什么 多少 哪里 一个 谢谢 您好 你好 "
    "亲 客服 在吗 the a an is are to of and or i you my how what can"
)
STOP_WORDS = frozenset(_STOP.split(" "))

_dictionary_signature: tuple[int, int] | None = None
_synonyms: dict[str, tuple[str, ...]] = {}
_synonym_signature: tuple[int, object] | None = None


def load_dictionary(*, force: bool = False) -> None:
    """Teach this process's jieba the shop's words (DomainWord) and every synonym, when they
    changed since it last looked (one small query). A removed word stays known until a restart."""
    global _dictionary_signature, _synonyms, _synonym_signature
    words = DomainWord.objects.aggregate(n=Count("id"), last=Max("id"))
    signature = (words["n"], words["last"] or 0)
    groups = SynonymGroup.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    synonym_signature = (groups["n"], groups["last"])
    if not force and signature == _dictionary_signature and synonym_signature == _synonym_signature:
        return
    jieba = search.load()
    add_word = getattr(jieba, "add_word", None)
    synonyms: dict[str, tuple[str, ...]] = {}
    for group in SynonymGroup.objects.all():
        members = tuple(group.word_list())
        for word in members:
            synonyms[word.casefold()] = members
    if add_word is not None:
        for word in [*DomainWord.objects.values_list("word", flat=True), *synonyms]:
            if len(word) > 1:
                add_word(word, None, None)
    _synonyms = synonyms
    _dictionary_signature, _synonym_signature = signature, synonym_signature


def question_words(text: str) -> tuple[str, ...]:
    """The words to look for, synonyms added; empty when the text holds no word worth searching.

    A long word of jieba's precise cut also brings the words inside it (能发顺丰 → 顺丰), and a
    single character that a synonym group names (装 in 安装 装) brings its group."""
    load_dictionary()
    tokens = search.query_tokens(text)
    jieba = search.load()
    found: dict[str, None] = {}

    def add(word: str) -> None:
        for other in _synonyms.get(word, ()):
            for token in search.query_tokens(other):
                if len(token) > 1:
                    found[token] = None

    for token in tokens:
        if token in STOP_WORDS:
            continue
        if len(token) == 1 and not token.isdigit():
            add(token)  # a character alone matches half the articles; its synonyms do not
            continue
        found[token] = None
        add(token)
        if len(token) > 2 and not token.isascii():
            for part in jieba.cut_for_search(token):
                if len(part) > 1 and part not in STOP_WORDS and part.isalnum():
                    found[part] = None
                    add(part)
    if not found:
        found = dict.fromkeys(t for t in tokens if t not in STOP_WORDS)
    return tuple(found)[:MAX_WORDS]


@dataclass
class Hit:
    pk: int
    score: float


def candidates(kind: search.Kind, words: tuple[str, ...]) -> list[Hit]:
    """The index's best matches of any of `words` (BM25 / ts_rank), before access and boosts."""
    return [Hit(pk=pk, score=score) for pk, score in search.ranked(kind, words, limit=CANDIDATES)]


def boost(
    hits: list[Hit],
    words: tuple[str, ...],
    *,
    allowed_ids: set[int],
    titles: dict[int, str] | None = None,
    picks: dict[int, int] | None = None,
) -> list[Hit]:
    """`hits` the reader may see, best first: the database's score ×(1 + share of the words in
    the title) ×(1 + log(1 + picks)/4) — a pick counts, a popular article does not drown a
    precise one."""
    out = []
    for hit in hits:
        if hit.pk not in allowed_ids:
            continue
        factor = 1.0
        if titles and hit.pk in titles:
            title = titles[hit.pk].casefold()
            factor += sum(1 for w in words if w in title) / len(words)
        if picks and picks.get(hit.pk):
            factor *= 1 + math.log1p(picks[hit.pk]) / 4
        out.append(Hit(pk=hit.pk, score=max(hit.score, 1e-12) * factor))
    out.sort(key=lambda h: (-h.score, -h.pk))
    return out


def highlight(text: str, words: Iterable[str], *, length: int = 0) -> SafeString:
    """`text` escaped, the words found marked with <mark>; with `length`, only a window of about
    that many characters around the first word found."""
    text = str(text)
    patterns = sorted({w for w in words if w}, key=len, reverse=True)
    if length and len(text) > length:
        start = 0
        if patterns:
            first = re.search("|".join(re.escape(p) for p in patterns), text, re.IGNORECASE)
            if first:
                start = max(0, first.start() - length // 4)
        text = ("…" if start else "") + text[start : start + length] + "…"
    if not patterns:
        return mark_safe(escape(text))  # noqa: S308  escaped just now
    pieces = re.split("(" + "|".join(re.escape(p) for p in patterns) + ")", text, flags=re.I)
    out = [
        f"<mark>{escape(piece)}</mark>" if i % 2 else str(escape(piece))
        for i, piece in enumerate(pieces)
    ]
    return mark_safe("".join(out))  # noqa: S308  every piece escaped above
