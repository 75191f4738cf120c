"""The SQL of each database: the index next to a document table, and the ids that match a query.

SQLite: an FTS5 table `<documents>_fts` over the document table (external content, detail=none:
no positions are kept, only which documents hold a word), kept in step by three triggers; the
unicode61 tokenizer only splits the space-separated tokens again. Matching ids come out of FTS5
in rowid order, so "the newest 51 that match" reads 51 entries of the index.

PostgreSQL: the body column is a tsvector with a GIN index. A GIN index cannot return ids in order,
and the planner, which believes matches are spread evenly over the ids, may instead walk the
primary key backwards and test every row: right for a frequent word, a walk over the whole table
for a word that clusters far from the newest rows (one day's ticket numbers). So the newest ids
are read in two steps: a walk over a bounded window of the newest ids, then, if that window had
too few, the index alone (bitmap scan, then the top N sorted).
"""

# ruff: noqa: S608  table and column names come from the models (quoted); user text is only ever a
# bound parameter, and only as tokens of letters and digits (_check).
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

RECENT_WINDOW = 20_000  # ids walked in order before the index is asked on its own (PostgreSQL)

_LEXEME = re.compile(r"'([^']*)'")  # a lexeme of a tsvector's text form (tokens hold no quote)

Quote = Callable[[str], str]  # a database's quoting of a name (`connection.ops.quote_name`)


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


def _check(tokens: tuple[str, ...]) -> None:
    # tokens.py only makes letters and digits; refuse anything else rather than quote it.
    for token in tokens:
        if not token or not all(c.isalnum() for c in token):
            raise ValueError(f"not a search token: {token!r}")


def fts5_query(tokens: tuple[str, ...]) -> str:
    _check(tokens)
    return " ".join(f'"{t}"' for t in tokens)


def tsquery(tokens: tuple[str, ...]) -> str:
    _check(tokens)
    return " & ".join(f"'{t}'" for t in tokens)


def create_index_sql(vendor: str, table: str, pk: str, *, quote: Quote) -> list[str]:
    t, fts, k = quote(table), quote(f"{table}_fts"), quote(pk)
    if vendor == "sqlite":
        return [
            f"CREATE VIRTUAL TABLE {fts} USING fts5(body, content={t}, content_rowid={k}, "
            "detail=none, tokenize='unicode61 remove_diacritics 0')",
            f"CREATE TRIGGER {quote(table + '_ai')} AFTER INSERT ON {t} BEGIN "
            f"INSERT INTO {fts}(rowid, body) VALUES (new.{k}, new.body); END",
            f"CREATE TRIGGER {quote(table + '_ad')} AFTER DELETE ON {t} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.{k}, old.body); END",
            f"CREATE TRIGGER {quote(table + '_au')} AFTER UPDATE ON {t} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.{k}, old.body); "
            f"INSERT INTO {fts}(rowid, body) VALUES (new.{k}, new.body); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    if vendor == "postgresql":
        return [f"CREATE INDEX {quote(table + '_body')} ON {t} USING gin (body)"]
    raise NotImplementedError(f"search has no index for {vendor}")


def drop_index_sql(vendor: str, table: str, *, quote: Quote) -> list[str]:
    if vendor == "sqlite":
        return [
            *(f"DROP TRIGGER IF EXISTS {quote(table + s)}" for s in ("_ai", "_ad", "_au")),
            f"DROP TABLE IF EXISTS {quote(table + '_fts')}",
        ]
    if vendor == "postgresql":
        return [f"DROP INDEX IF EXISTS {quote(table + '_body')}"]
    raise NotImplementedError(f"search has no index for {vendor}")


def match_subquery(
    vendor: str, table: str, pk: str, tokens: tuple[str, ...], *, quote: Quote
) -> tuple[str, list[str]]:
    """SQL selecting every matching id (for a filter that is not paged newest first)."""
    if vendor == "sqlite":
        fts = quote(f"{table}_fts")
        return f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [fts5_query(tokens)]
    return (
        f"SELECT {quote(pk)} FROM {quote(table)} WHERE body @@ %s::tsquery",
        [tsquery(tokens)],
    )


def matching_ids(
    *,
    using: str,
    table: str,
    pk: str,
    tokens: tuple[str, ...],
    after: int | None,
    limit: int,
    descending: bool,
) -> list[int]:
    """Up to `limit` ids of matching documents past `after` (below it when descending), in order."""
    connection = connections[using]
    quote = connection.ops.quote_name
    if connection.vendor == "sqlite":
        fts = quote(f"{table}_fts")
        sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"
        params: list[str | int] = [fts5_query(tokens)]
        if after is not None:
            sql += " AND rowid < %s" if descending else " AND rowid > %s"
            params.append(after)
        sql += f" ORDER BY rowid {'DESC' if descending else 'ASC'} LIMIT %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit])
            return [row[0] for row in cursor.fetchall()]
    return _pg_matching_ids(
        connection, quote(table), quote(pk), tsquery(tokens), after, limit, descending
    )


def _among_ids(column: str) -> str:
    """PostgreSQL's condition "column is one of the ids", the ids bound as one bigint[] parameter."""
    return f"{column} = ANY(%s::bigint[])"


def among(qs: QuerySet[Any, Any], ids: list[int]) -> QuerySet[Any, Any]:
    """`qs` narrowed to the ids of one batch of matches. On PostgreSQL the ids go as one array
    parameter (`= ANY(%s)`): the batches hold up to 4,096 ids, and `IN (…)` with a parameter each
    cost Python and the server twice as long to build, send and parse (bench/README.md, search)."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return qs.filter(pk__in=ids)
    meta = qs.model._meta
    column = f"{_quote(connection, meta.db_table)}.{_quote(connection, meta.pk.column)}"
    among_ids = RawSQL(_among_ids(column), (ids,), output_field=BooleanField())  # noqa: S611  names from the model, ids bound
    return qs.filter(among_ids)


def _pg_matching_ids(
    connection: BaseDatabaseWrapper,
    t: str,
    k: str,
    query: str,
    after: int | None,
    limit: int,
    descending: bool,
) -> list[int]:
    before, order = ("<", "DESC") if descending else (">", "ASC")
    with connection.cursor() as cursor:
        if after is None:
            cursor.execute(f"SELECT {'max' if descending else 'min'}({k}) FROM {t}")
            edge = cursor.fetchone()[0]
            if edge is None:
                return []
            after = edge + 1 if descending else edge - 1
        bound = after - RECENT_WINDOW if descending else after + RECENT_WINDOW
        window = f"{k} >= %s" if descending else f"{k} <= %s"
        cursor.execute(
            f"SELECT {k} FROM {t} WHERE body @@ %s::tsquery AND {k} {before} %s AND {window} "
            f"ORDER BY {k} {order} LIMIT %s",
            [query, after, bound, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) >= limit:
            return ids
        rest = f"{k} < %s" if descending else f"{k} > %s"
        with transaction.atomic(using=connection.alias):
            # The index alone: the planner must not walk the ids in order testing each row.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(
                f"SELECT {k} FROM {t} WHERE body @@ %s::tsquery AND {rest} "
                f"ORDER BY {k} {order} LIMIT %s",
                [query, bound, limit - len(ids)],
            )
            ids += [row[0] for row in cursor.fetchall()]
            cursor.execute("SET LOCAL enable_seqscan = on")
            cursor.execute("SET LOCAL enable_indexscan = on")
        return ids


def ranked_ids(
    *, using: str, table: str, pk: str, tokens: tuple[str, ...], limit: int
) -> list[tuple[int, float]]:
    """Up to `limit` (id, score) of documents holding *any* of `tokens`, the most relevant first
    (higher score = better): BM25 on SQLite (FTS5's bm25(), negated), ts_rank on PostgreSQL. For a
    kind that orders one page of matches by relevance (knowledge articles); work lists stay newest
    first (`matching_ids`)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    _check(tokens)
    if not tokens:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            fts = quote(f"{table}_fts")
            cursor.execute(
                f"SELECT rowid, -bm25({fts}) FROM {fts} WHERE {fts} MATCH %s "
                f"ORDER BY bm25({fts}) LIMIT %s",
                [" OR ".join(f'"{t}"' for t in tokens), limit],
            )
        else:
            t, k = quote(table), quote(pk)
            cursor.execute(
                f"SELECT {k}, ts_rank(body, q) AS r FROM {t}, CAST(%s AS tsquery) q "
                f"WHERE body @@ q ORDER BY r DESC, {k} DESC LIMIT %s",
                [" | ".join(f"'{t}'" for t in tokens), limit],
            )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def probes_by_id(using: str) -> bool:
    """Whether the index can tell cheaply which of some ids match (`matching_among`): PostgreSQL's
    documents are read by their primary key; SQLite's FTS5 would read every match."""
    return connections[using].vendor == "postgresql"


def matching_among(
    *, using: str, table: str, pk: str, tokens: tuple[str, ...], ids: list[int]
) -> set[int]:
    """Which of `ids` match `tokens`, by a probe of each document (PostgreSQL: probes_by_id)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(pk)} FROM {quote(table)} "
            f"WHERE {_among_ids(quote(pk))} AND body @@ %s::tsquery",
            [ids, tsquery(tokens)],
        )
        return {row[0] for row in cursor.fetchall()}


def document_frequencies(
    *, using: str, table: str, pk: str, tokens: tuple[str, ...]
) -> dict[str, int]:
    """How many documents hold each token (one count per token from the index), and "" → how many
    documents there are."""
    connection = connections[using]
    quote = connection.ops.quote_name
    _check(tokens)
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")
        found[""] = cursor.fetchone()[0]
        for token in tokens:
            if connection.vendor == "sqlite":
                fts = quote(f"{table}_fts")
                cursor.execute(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH %s", [f'"{token}"'])
            else:
                cursor.execute(
                    f"SELECT count(*) FROM {quote(table)} WHERE body @@ %s::tsquery", [f"'{token}'"]
                )
            found[token] = cursor.fetchone()[0]
    return found


def document_tokens_of(*, using: str, table: str, pk: str, ids: list[int]) -> dict[int, set[str]]:
    """The tokens of these documents, as stored (text on SQLite, a tsvector on PostgreSQL)."""
    if not ids:
        return {}
    connection = connections[using]
    quote = connection.ops.quote_name
    column = "body" if connection.vendor == "sqlite" else "body::text"
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(pk)}, {column} FROM {quote(table)} WHERE {quote(pk)} IN ({marks})", ids
        )
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return {pk_: set(body.split()) for pk_, body in rows}
    return {pk_: set(_LEXEME.findall(body)) for pk_, body in rows}


@functools.cache
def _grow_sql(using: str, table: str, pk: str, count: int) -> str:
    connection = connections[using]
    t, k = connection.ops.quote_name(table), connection.ops.quote_name(pk)
    if connection.vendor == "postgresql":
        # tsvector || tsvector is the union of the lexemes: the new words join the stored ones in
        # the statement itself, with no read of the documents first.
        row = "(%s, array_to_tsvector(string_to_array(%s, ' ')))"
        grown = f"{t}.body || EXCLUDED.body"
    else:
        row = "(%s, %s)"
        grown = "EXCLUDED.body"
    return (
        f"INSERT INTO {t} ({k}, body) VALUES {', '.join([row] * count)} "
        f"ON CONFLICT ({k}) DO UPDATE SET body = {grown}"
    )


def grow_statement(
    *, using: str, table: str, pk: str, tokens: dict[int, list[str]]
) -> tuple[str, list[int | str]]:
    """The upsert that writes documents by id in one statement: on PostgreSQL each given token list
    joins the stored document (`tsvector || tsvector`); on SQLite it replaces it (the caller has
    merged them: FTS5's content is the text written)."""
    values: list[int | str] = []
    for key, words in tokens.items():
        values += [key, " ".join(words)]
    return _grow_sql(using, table, pk, len(tokens)), values


def grow_documents(*, using: str, table: str, pk: str, tokens: dict[int, list[str]]) -> None:
    """Run grow_statement's upsert."""
    if not tokens:
        return
    with connections[using].cursor() as cursor:
        cursor.execute(*grow_statement(using=using, table=table, pk=pk, tokens=tokens))


def merges_on_write(using: str) -> bool:
    """Whether grow_documents can join new words to a stored document by itself (no read first)."""
    return connections[using].vendor == "postgresql"
