"""Keeping documents current, finding them, and paging through what matches.

Writes happen inside the caller's transaction: a service that changes an object calls
`index(kind, obj)` before it returns, so the change and its words commit together (a ticket is
found by its new words the moment its change is visible, never by its old ones).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from kefu.core.querysets import QS
from kefu.core.search import backends
from kefu.core.search.registry import Document, Kind
from kefu.core.search.tokens import document_tokens, query_tokens


def _write(kind: Kind, objects: Iterable[Model]) -> int:
    return write_documents(kind, {obj.pk: kind.document(obj) for obj in objects})


def write_documents(kind: Kind, documents: Mapping[int, Document]) -> int:
    """Write these documents (object id → Document) as they are, in the caller's transaction, for a
    writer that holds the objects' values already (an import): no read of the objects. Returns how
    many."""
    pk_name = kind.documents._meta.pk.attname
    rows = [
        kind.documents(
            **{pk_name: pk, "body": " ".join(document_tokens(text=doc.text, keywords=doc.keywords))}
        )
        for pk, doc in documents.items()
    ]
    if rows:
        kind.documents._default_manager.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=[kind.documents._meta.pk.name],
            update_fields=["body"],
        )
    return len(rows)


def index(kind: Kind, obj: Model) -> None:
    """Write `obj`'s document now, in the caller's transaction. `obj` must carry what
    `kind.document` reads (load it through `kind.objects()` when in doubt)."""
    _write(kind, [obj])


def index_many(kind: Kind, objects: Sequence[Model]) -> None:
    """`index` for several objects at once: one write for all their documents."""
    _write(kind, objects)


def index_ids(kind: Kind, ids: Iterable[int]) -> int:
    """Write the documents of these objects (loaded through kind.objects()); returns how many."""
    ids = list(ids)
    written = 0
    for start in range(0, len(ids), 500):
        written += _write(kind, kind.objects().filter(pk__in=ids[start : start + 500]))
    return written


def add(kind: Kind, documents: dict[int, Document]) -> None:
    """Add the words of `documents` (object id → what it now also says) to those objects' documents,
    in the caller's transaction, without reading the objects again: for a document that only grows
    (a conversation's messages). One statement for all of them on PostgreSQL (add_statement); on
    SQLite one read of the documents and one write of those that grew. The caller keeps two
    writers of one document apart (it holds the object's row lock)."""
    if not documents:
        return
    statement = add_statement(kind, documents)
    if statement is not None:
        with connections[router.db_for_write(kind.documents)].cursor() as cursor:
            cursor.execute(*statement)
        return
    where = _where(kind)
    held = backends.document_tokens_of(**where, ids=list(documents))
    grown: dict[int, list[str]] = {}
    for pk, doc in documents.items():
        old = held.get(pk, set())
        new = [t for t in document_tokens(text=doc.text, keywords=doc.keywords) if t not in old]
        if new or pk not in held:
            grown[pk] = [*old, *new]
    backends.grow_documents(**where, tokens=grown)


def add_statement(kind: Kind, documents: dict[int, Document]) -> tuple[str, list[int | str]] | None:
    """`add` as one statement (SQL and parameters) for the caller to send with its own (a
    pipeline), where the database merges the words itself (PostgreSQL); None where `add` must read
    the documents first (SQLite)."""
    where = _where(kind)
    if not documents or not backends.merges_on_write(where["using"]):
        return None
    tokens = {
        pk: document_tokens(text=doc.text, keywords=doc.keywords) for pk, doc in documents.items()
    }
    return backends.grow_statement(**where, tokens=tokens)


def _where(kind: Kind) -> dict[str, str]:
    meta = kind.documents._meta
    return {
        "using": router.db_for_write(kind.documents),
        "table": meta.db_table,
        "pk": meta.pk.column,
    }


def remove(kind: Kind, ids: Iterable[int]) -> None:
    kind.documents._default_manager.filter(pk__in=list(ids)).delete()


def rebuild(
    kind: Kind, *, batch_size: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    """Write every document of `kind` again, in batches of their own transactions (other writers
    get in between), and drop documents whose object is gone or no longer in `kind.objects()`.
    Returns how many were written."""
    written, last = 0, 0
    objects = kind.objects().order_by("pk")
    while True:
        batch = list(objects.filter(pk__gt=last)[:batch_size])
        if not batch:
            break
        with transaction.atomic(using=router.db_for_write(kind.documents)):
            written += _write(kind, batch)
        last = batch[-1].pk
        if progress:
            progress(written)
    # Documents of objects the source no longer yields. An anti-join (NOT EXISTS): PostgreSQL runs
    # `NOT IN (subquery)` over a million ids as a nested loop (it ran for 15 minutes in bench/).
    kind.documents._default_manager.filter(
        ~Exists(kind.objects().order_by().filter(pk=OuterRef("pk")))
    ).delete()
    return written


# --- finding ------------------------------------------------------------------------------------


class MatchSQL(RawSQL):
    """The ids of `kind` matching `tokens`; the pager recognises it and reads the index in order."""

    def __init__(self, kind: Kind, tokens: tuple[str, ...], sql: str, params: list[str]):
        super().__init__(sql, params)
        self.kind, self.tokens = kind, tokens


def filter(qs: QS, kind: Kind, query: str) -> QS:
    """`qs` narrowed to the objects whose document holds every word of `query` (nothing if the
    query has no word at all: punctuation, operators alone). Page it with
    kefu.core.pagination.keyset_page, which reads the index newest first."""
    tokens = query_tokens(query)
    if not tokens:
        return qs.none()
    connection = connections[qs.db]
    meta = kind.documents._meta
    sql, params = backends.match_subquery(
        connection.vendor, meta.db_table, meta.pk.column, tokens, quote=connection.ops.quote_name
    )
    return qs.filter(pk__in=MatchSQL(kind, tokens, sql, params))


RARE_SHARE = 20  # a token in more than 1/20 of the documents (and over 200) is "common"
RANKED_CANDIDATES = 150
RANKED_ROWS = 800  # matches the database scores at most (bm25() costs ~10 µs a row)
BM25_K1, BM25_B = 1.2, 0.75


DF_SECONDS = 300.0  # how long a token's document count is reused (it changes slowly)
DF_CACHE_FROM = 2_000  # documents
_df_cache: dict[tuple[str, str, str], tuple[float, int]] = {}


def _frequencies(where: dict[str, str], tokens: tuple[str, ...]) -> dict[str, int]:
    """Document counts per token ("" → all documents), from a per-process cache of DF_SECONDS:
    a count is a ranking weight, a few minutes old is as good. Only for large indexes (counting is
    cheap in a small one), and never a zero (a word a new document brings is found at once)."""
    now = time.monotonic()
    found: dict[str, int] = {}
    missing = []
    for token in ("", *tokens):
        cached = _df_cache.get((where["using"], where["table"], token))
        if cached is not None and now - cached[0] < DF_SECONDS:
            found[token] = cached[1]
        elif token:
            missing.append(token)
    if missing or "" not in found:
        fresh = backends.document_frequencies(**where, tokens=tuple(missing))
        if len(_df_cache) > 50_000:
            _df_cache.clear()
        if fresh.get("", found.get("", 0)) >= DF_CACHE_FROM:
            for token, count in fresh.items():
                if count:
                    _df_cache[(where["using"], where["table"], token)] = (now, count)
        found.update(fresh)
    return found


def ranked(kind: Kind, tokens: tuple[str, ...], *, limit: int = 50) -> list[tuple[int, float]]:
    """(id, score) of up to `limit` objects of `kind` whose document holds any of `tokens` (made by
    `query_tokens`, letters and digits only), the most relevant first, by BM25.

    Scoring every document that holds a common word is what makes relevance slow (FTS5's bm25()
    costs ~10 µs a row: 6,000 rows are 60 ms), so: the database's own ranking (bm25() on FTS5,
    ts_rank on PostgreSQL) picks candidates among the documents holding the *rarer* words (at most
    RANKED_ROWS matches; when even the rarest word is more frequent, the newest documents holding the
    two rarest and the rarest), then every candidate is scored by BM25 over *all* the words from its
    stored tokens (a token is in a document or not: term frequency 1). Apply access rules to the ids
    afterwards."""
    if not tokens:
        return []
    meta = kind.documents._meta
    using = router.db_for_read(kind.documents)
    where = {"using": using, "table": meta.db_table, "pk": meta.pk.column}
    df = _frequencies(where, tokens)
    total = max(df[""], 1)
    present = sorted((t for t in tokens if df[t]), key=lambda t: df[t])
    if not present:
        return []
    common = max(200, total // RARE_SHARE)
    rare: list[str] = []
    for token in present:  # the rarer words, while the database's ranking stays cheap
        if df[token] > common or sum(df[t] for t in rare) + df[token] > RANKED_ROWS:
            break
        rare.append(token)
    if rare:
        candidates = [
            pk
            for pk, _score in backends.ranked_ids(
                **where, tokens=tuple(rare), limit=RANKED_CANDIDATES
            )
        ]
    else:  # even the rarest word is everywhere: the newest holding the two rarest, then the rarest
        both = backends.matching_ids(
            **where, tokens=tuple(present[:2]), after=None, limit=RANKED_CANDIDATES, descending=True
        )
        one = backends.matching_ids(
            **where, tokens=(present[0],), after=None, limit=RANKED_CANDIDATES, descending=True
        )
        candidates = list(dict.fromkeys([*both, *one]))
    held = backends.document_tokens_of(**where, ids=candidates)
    if not held:
        return []
    idf = {t: math.log(1 + (total - df[t] + 0.5) / (df[t] + 0.5)) for t in tokens}
    average = sum(len(words) for words in held.values()) / len(held)
    scored = []
    for pk, words in held.items():
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(words) / average)
        score = sum(idf[t] * (BM25_K1 + 1) / (1 + norm) for t in tokens if t in words)
        scored.append((pk, score))
    scored.sort(key=lambda item: (-item[1], -item[0]))
    return scored[:limit]


@dataclass
class _Split:
    rest: QuerySet[Any, Any]
    match: MatchSQL


def split_match(qs: QuerySet[Any, Any]) -> _Split | None:
    """The search condition of `qs` (added by `filter`, at the top level) and `qs` without it."""
    where = qs.query.where
    if where.connector != "AND" or where.negated:
        return None
    for child in where.children:
        rhs = getattr(child, "rhs", None)
        if isinstance(rhs, MatchSQL):
            rest = qs.all()  # a copy whose conditions can be changed
            rest.query.where.children = [c for c in where.children if c is not child]
            return _Split(rest=rest, match=rhs)
    return None


def page_ids(
    qs: QuerySet[Any, Any],
    match: MatchSQL,
    *,
    after: int | None,
    count: int,
    descending: bool,
) -> list[Model]:
    """Up to `count` objects of `qs` that match, past `after`, in id order.

    Two ways through the ids, chosen again for each step by what the steps so far have seen: read the
    index in order in growing batches and keep what `qs` lets through (its access rules and filters);
    or, where `qs` lets through fewer of the matches than there are matches among the ids (a
    department's staff searching a frequent word: 4% of the matches are theirs, 5% of the tickets
    match) and the index can be probed by id (PostgreSQL), walk `qs`'s own ids in order and probe
    their documents. Each step covers the ids past the last one, so either way every object is
    found once and in order."""
    meta = match.kind.documents._meta
    where = {"using": qs.db, "table": meta.db_table, "pk": meta.pk.column}
    probes = backends.probes_by_id(qs.db)
    own_ids = qs.order_by("-pk" if descending else "pk").values_list("pk", flat=True)
    found: list[Model] = []
    matches_read = visible_matches = 0  # index batches: matches read, and how many `qs` let through
    match_share = 0.0  # of the ids, how many match (last batch's density, or the probes')
    batch = max(count, 64)
    while len(found) < count:
        missing = count - len(found)
        if probes and match_share and visible_matches < 2 * match_share * matches_read:
            # A probe costs less than filtering a match, hence the factor.
            chunk = int(min(max(missing * 1.5 / match_share, 256), 4096))
            past = {"pk__lt": after} if descending else {"pk__gt": after}
            ids = list(own_ids.filter(**past)[:chunk])
            if not ids:
                break
            matching = backends.matching_among(**where, tokens=match.tokens, ids=ids)
            hits = [pk for pk in ids if pk in matching][:missing]
            rows = {obj.pk: obj for obj in backends.among(qs, hits)} if hits else {}
            found += [rows[pk] for pk in hits if pk in rows]
            match_share = max(len(matching), 1) / len(ids)
            if len(ids) < chunk:
                break
            after = ids[-1]
            continue
        ids = backends.matching_ids(
            **where, tokens=match.tokens, after=after, limit=batch, descending=descending
        )
        if not ids:
            break
        rows = {obj.pk: obj for obj in backends.among(qs, ids)}
        visible = [rows[pk] for pk in ids if pk in rows]
        found += visible[:missing]
        if len(ids) < batch:
            break
        after = ids[-1]
        matches_read += len(ids)
        visible_matches += len(visible)
        match_share = len(ids) / (abs(ids[-1] - ids[0]) + 1)
        # The next batch: what the share of visible matches so far says is still needed (plus a
        # fifth), four times the last one while nothing was visible yet, at most 4,096 ids.
        missing = count - len(found)
        guess = missing * matches_read * 1.2 / visible_matches if visible_matches else batch * 4
        batch = int(min(max(guess, 64), 4096))
    return found
