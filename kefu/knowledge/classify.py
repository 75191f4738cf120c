"""A small naive-Bayes classifier over jieba words, trained on the team's own closed tickets: which
category a new ticket or chat most likely belongs to. Pure Python; the model is a dict of counts
kept as JSON (CategoryModel), retrained by the scheduler."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from kefu.core import search

MAX_TEXT = 2000
MAX_VOCABULARY = 20_000


def words(text: str) -> list[str]:
    """jieba's words of `text`: letters and digits, stop words and single characters dropped."""
    from kefu.knowledge.ranking import STOP_WORDS

    jieba = search.load()
    out = []
    for token in jieba.cut(str(text)[:MAX_TEXT].casefold()):
        if len(token) > 1 and token not in STOP_WORDS and all(c.isalnum() for c in token):
            out.append(token)
    return out


def train(samples: list[tuple[str, int]]) -> dict[str, Any]:
    """{"classes": {id: documents}, "words": {id: {word: count}}, "totals": {id: words}}."""
    docs: Counter[int] = Counter()
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    vocabulary: Counter[str] = Counter()
    for text, label in samples:
        docs[label] += 1
        tokens = words(text)
        counts[label].update(tokens)
        vocabulary.update(tokens)
    keep = {w for w, _n in vocabulary.most_common(MAX_VOCABULARY)}
    return {
        "classes": {str(k): v for k, v in docs.items()},
        "words": {str(k): {w: n for w, n in c.items() if w in keep} for k, c in counts.items()},
        "vocabulary": len(keep),
    }


def predict(model: dict[str, Any], text: str, *, top: int = 3) -> list[tuple[int, float]]:
    """The `top` most likely categories with their probability, best first (none untrained)."""
    classes: dict[str, int] = model.get("classes") or {}
    if not classes:
        return []
    total_docs = sum(classes.values())
    vocabulary = max(int(model.get("vocabulary") or 1), 1)
    tokens = words(text)
    scores = {}
    for label, n_docs in classes.items():
        counts = model["words"].get(label, {})
        total = sum(counts.values())
        score = math.log(n_docs / total_docs)
        for token in tokens:
            score += math.log((counts.get(token, 0) + 1) / (total + vocabulary))
        scores[label] = score
    peak = max(scores.values())
    exp = {k: math.exp(v - peak) for k, v in scores.items()}
    norm = sum(exp.values())
    ranked = sorted(exp.items(), key=lambda kv: -kv[1])[:top]
    return [(int(k), v / norm) for k, v in ranked]
