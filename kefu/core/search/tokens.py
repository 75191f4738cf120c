"""Words of a document and of a query, the same way on both databases.

Text is NFKC-normalised and case-folded, then cut into runs of letters and digits (Unicode
categories L* and N*; everything else separates). A run of Chinese characters is segmented by jieba
(the Rust port `rjieba`: the same dictionary and HMM as jieba, 33x faster, half the memory): a
document keeps jieba's search-mode words and every dictionary word jieba finds inside (so 收到 is
found in 没收到, which the precise cut reads as 没收 + 到); a query keeps the precise cut. Other
runs (latin letters, digits, kana…) are words as they stand, and a document also keeps their
prefixes from PREFIX_FROM characters on, so `TS202611`, `139123` or `iph` find what begins with them
without a prefix scan of the index. A keyword (a name, a mobile) keeps all its prefixes, from the
first character of a Chinese name on (张 finds 张伟).

Every token is made of letters and digits only: no quote, star, colon or operator of FTS5 or of a
tsquery can come out of here, whatever the user typed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol

PREFIX_FROM = 3  # shortest prefix kept for latin/digit words (TS2, 139)
PREFIX_UP_TO = 20  # longest prefix kept (a longer word is found by itself)
MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 12
MAX_DOCUMENT_CHARS = 100_000

_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")
_PHONE = re.compile(r"\+?[\d\s\-()]{7,}")
_RUN = re.compile(r"[^\W_]+")  # letters and digits: str.isalnum(), Unicode categories L* and N*


class _Segmenter(Protocol):
    """What is used here of rjieba (the module, imported when first needed)."""

    def cut(self, text: str, hmm: bool = True) -> list[str]: ...

    def cut_all(self, text: str) -> list[str]: ...

    def cut_for_search(self, text: str, hmm: bool = True) -> list[str]: ...


_jieba: _Segmenter | None = None


def load() -> _Segmenter:
    """Load jieba's dictionary now (once per process: about 0.3 s and 33 MB), not on the first
    search, and return it. kefu.core's AppConfig.ready() calls this."""
    global _jieba
    if _jieba is None:
        import rjieba

        rjieba.cut("客服")  # the dictionary loads on first use
        _jieba = rjieba
    return _jieba


def _segmenter() -> _Segmenter:
    return _jieba if _jieba is not None else load()


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _is_token_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _runs(text: str) -> list[str]:
    """Maximal runs of letters and digits of normalised `text`."""
    return _RUN.findall(text)


def _pieces(run: str) -> Iterable[tuple[bool, str]]:
    """(is_han, piece) for the Chinese and the other stretches of one run (iPhone15手机 → 2)."""
    for piece in _HAN.split(run):
        if piece:
            yield bool(_HAN.fullmatch(piece)), piece


def _with_prefixes(word: str, into: dict[str, None], shortest: int) -> None:
    into[word] = None
    for n in range(shortest, min(len(word), PREFIX_UP_TO + 1)):
        into[word[:n]] = None


def _han_document_words(piece: str) -> tuple[str, ...]:
    """A document's words of one run of Chinese characters: jieba's search-mode words, then every
    dictionary word of two or more characters inside."""
    jieba = _segmenter()
    words = dict.fromkeys(jieba.cut_for_search(piece))
    words.update(dict.fromkeys(w for w in jieba.cut_all(piece) if len(w) > 1))
    return tuple(words)


# Short runs are remembered: the same places, names of products and phrases come back document
# after document (an import's 100,000 addresses), and segmentation is the costly part of a document.
_remembered_han_words = functools.lru_cache(maxsize=20_000)(_han_document_words)
REMEMBERED_CHARS = 24  # longer runs (a message's sentences) are rarely seen twice


def document_tokens(*, text: Iterable[str] = (), keywords: Iterable[str] = ()) -> list[str]:
    """The distinct tokens of a document, in first-seen order."""
    found: dict[str, None] = {}
    for part in text:
        if not part:
            continue
        for run in _runs(_normalise(str(part)[:MAX_DOCUMENT_CHARS])):
            for is_han, piece in _pieces(run):
                if is_han:
                    segment = (
                        _remembered_han_words
                        if len(piece) <= REMEMBERED_CHARS
                        else _han_document_words
                    )
                    found.update(dict.fromkeys(segment(piece)))
                else:
                    _with_prefixes(piece, found, PREFIX_FROM)
    for keyword in keywords:
        if not keyword:
            continue
        for run in _runs(_normalise(str(keyword)[:200])):
            for is_han, piece in _pieces(run):
                _with_prefixes(piece, found, 1 if is_han else PREFIX_FROM)
    return list(found)


def clean_query(query: str) -> str:
    """`query` as typed, control characters (NUL…) turned into spaces, trimmed: what a search box
    shows back, and blank when nothing but them was typed."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(query)).strip()


def query_tokens(query: str) -> tuple[str, ...]:
    """The tokens a document must all contain to match `query` (none: nothing can match).

    A query that is one telephone number written with spaces, dashes or +86 is one number."""
    query = _normalise(str(query)[:MAX_QUERY_CHARS]).strip()
    if _PHONE.fullmatch(query):
        digits = "".join(c for c in query if c.isdigit())
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        query = digits
    jieba = _segmenter()
    found: dict[str, None] = {}
    for run in _runs(query):
        for is_han, piece in _pieces(run):
            words = jieba.cut(piece) if is_han else [piece]
            for word in words:
                if all(_is_token_char(c) for c in word):
                    found[word] = None
    return tuple(found)[:MAX_QUERY_TOKENS]
