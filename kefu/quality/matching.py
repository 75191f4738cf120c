"""Chinese phrase matching for the automatic checks: texts are cut into words with jieba (rjieba)
and a phrase matches where its words stand in a row, so 「行」 (a filler word) is found in 「行，我帮您查」
but not in 「银行卡」 or 「不行」, and 「滚」 not in 「滚动条」. A phrase of three or more characters also
matches as it stands in the text, where jieba cut the surrounding words differently."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import rjieba

LITERAL_MIN = 3  # phrases this long also match by their characters


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, lower case (ＯＫ → ok)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def words(text: str) -> list[str]:
    return normalised_words(normalise(text))


def normalised_words(flat: str) -> list[str]:
    """The words of a text normalise() gave already."""
    return [w for w in rjieba.cut(flat) if w.strip()]


@functools.lru_cache(maxsize=4096)
def phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(words(phrase))


@functools.lru_cache(maxsize=256)
def compiled(phrases: str) -> PhraseList:
    """The phrase list of a rubric item's text (one phrase a line), built once per text: the checks
    of many conversations share it, and an edited list is a new text, so a new entry."""
    return PhraseList(phrases.splitlines())


@dataclass(frozen=True)
class Hit:
    phrase: str
    position: int  # the word's index (or the character's, for a literal match)


class PhraseList:
    """A list of phrases, indexed by their first word."""

    def __init__(self, phrases: list[str]):
        self.by_first: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self.literal: list[tuple[str, str]] = []  # (phrase, its normalised form)
        for phrase in dict.fromkeys(p.strip() for p in phrases if p and p.strip()):
            cut = phrase_words(phrase)
            if cut:
                self.by_first.setdefault(cut[0], []).append((phrase, cut))
            flat = normalise(phrase)
            if len(flat) >= LITERAL_MIN:
                self.literal.append((phrase, flat))

    def __bool__(self) -> bool:
        return bool(self.by_first or self.literal)

    def hits(self, text: str, cut: list[str] | None = None, flat: str | None = None) -> list[Hit]:
        """Every occurrence of a phrase in `text` (`cut`: its words, `flat`: the text normalised,
        when known already)."""
        cut = words(text) if cut is None else cut
        found: list[Hit] = []
        for i, word in enumerate(cut):
            for phrase, pw in self.by_first.get(word, ()):
                if tuple(cut[i : i + len(pw)]) == pw:
                    found.append(Hit(phrase, i))
        if self.literal:
            seen = {h.phrase for h in found}
            flat = normalise(text) if flat is None else flat
            for phrase, normalised in self.literal:
                if phrase not in seen and normalised in flat:
                    found.append(Hit(phrase, flat.index(normalised)))
        return found

    def first(self, text: str, cut: list[str] | None = None, flat: str | None = None) -> str:
        """The first phrase found, or ""."""
        found = self.hits(text, cut, flat)
        return found[0].phrase if found else ""
