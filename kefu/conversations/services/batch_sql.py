"""The statements of one group-commit batch (messages.store_messages), written once per shape.

A batch of chat messages used to cost six round trips and most of its time compiling ORM queries
(bench/README.md, chat): here the conversations are locked (read with the names their search
documents carry) and the batch's keys looked up, then the messages inserted and the conversations'
clocks saved, in statements built once per batch size and fed plain values. On PostgreSQL the two
reads go in one round trip (a psycopg pipeline), the insert and the update are one statement, and
the chats' search documents' upsert (which merges the new words itself) goes in the same round
trip as that write, so a batch costs three round trips: reads, write, commit. On SQLite the
documents add one read and one write (documents.add_messages). kefu/conversations/tests/
test_messages.py pins the count.

Rows become model instances through the fields' own database converters, as the ORM makes them.
Call inside the batch's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections

from kefu.conversations.models import Conversation, Inbox, Message, Visitor
from kefu.customers.models import Customer

Key = tuple[int, str]


@dataclass
class Locked:
    """What lock_conversations read: the conversations by id, their inboxes' kinds, the names their
    search documents carry (the customer's or "", the visitor's) and the messages already stored
    under one of the batch's keys, by (conversation id, key)."""

    conversations: dict[int, Conversation]
    kinds: dict[int, str]
    names: dict[int, tuple[str, str]]
    known: dict[Key, Message]


def _connection():
    return connections[Message.objects.db]


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


@functools.cache
def _converters(model, vendor: str) -> list[tuple[int, list, object]]:
    """(column index, converters, expression) for each concrete field that has converters."""
    connection = _connection()
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((index, converters, column))
    return found


def _instance(model, row: Sequence, connection):
    values = list(row)
    for index, converters, column in _converters(model, connection.vendor):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(connection.alias, None, values)


@functools.cache
def _lock_sql(count: int, vendor: str) -> str:
    quote = _connection().ops.quote_name
    columns = ", ".join(f"c.{quote(f.column)}" for f in Conversation._meta.concrete_fields)
    name = quote("name")
    sql = (
        f"SELECT {columns}, i.{quote('kind')}, cu.{name}, v.{name} "  # noqa: S608  (names from the models)
        f"FROM {quote(Conversation._meta.db_table)} c "
        f"JOIN {quote(Inbox._meta.db_table)} i ON i.{quote('id')} = c.{quote('inbox_id')} "
        f"JOIN {quote(Visitor._meta.db_table)} v ON v.{quote('id')} = c.{quote('visitor_id')} "
        f"LEFT JOIN {quote(Customer._meta.db_table)} cu ON cu.{quote('id')} = c.{quote('customer_id')} "
        f"WHERE c.{quote('id')} IN ({_placeholders(count)}) ORDER BY c.{quote('id')}"
    )
    return sql + " FOR UPDATE OF c" if vendor == "postgresql" else sql


@functools.cache
def _keys_sql(ids: int, keys: int) -> str:
    quote = _connection().ops.quote_name
    return (
        f"SELECT {quote('id')} FROM {quote(Message._meta.db_table)} "  # noqa: S608  (names from the model)
        f"WHERE {quote('conversation_id')} IN ({_placeholders(ids)}) "
        f"AND {quote('client_key')} IN ({_placeholders(keys)})"
    )


def lock_conversations(ids: list[int], keys: set[str]) -> Locked:
    """The batch's conversations, locked (row locks on PostgreSQL; SQLite's IMMEDIATE transaction
    holds the write lock already), with their inboxes' kinds and their customers' and visitors'
    names in the same statement; and the messages already stored under one of `keys` in them."""
    connection = _connection()
    ordered_keys = sorted(keys)
    lock = (_lock_sql(len(ids), connection.vendor), ids)
    known_ids: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and keys:
            raw = connection.connection
            with raw.cursor() as keys_cursor:
                with raw.pipeline():  # both reads in one round trip
                    cursor.execute(*lock)
                    keys_cursor.execute(_keys_sql(len(ids), len(keys)), [*ids, *ordered_keys])
                rows = cursor.fetchall()
                known_ids = [row[0] for row in keys_cursor.fetchall()]
        else:
            cursor.execute(*lock)
            rows = cursor.fetchall()
            if keys:
                cursor.execute(_keys_sql(len(ids), len(keys)), [*ids, *ordered_keys])
                known_ids = [row[0] for row in cursor.fetchall()]
    conversations: dict[int, Conversation] = {}
    kinds: dict[int, str] = {}
    names: dict[int, tuple[str, str]] = {}
    for row in rows:
        conversation = _instance(Conversation, row[:-3], connection)
        conversations[conversation.pk] = conversation
        kinds[conversation.pk] = row[-3]
        names[conversation.pk] = (row[-2] or "", row[-1] or "")
    known: dict[Key, Message] = {}
    if known_ids:  # resends: rare, loaded the ordinary way
        for message in Message.objects.filter(pk__in=known_ids).select_related(
            "author", "conversation"
        ):
            if message.client_key is not None:  # found by its key, so it has one
                known[message.conversation_id, message.client_key] = message
    return Locked(conversations, kinds, names, known)


MESSAGE_COLUMNS = [
    "conversation_id",
    "seq",
    "sender",
    "author_id",
    "client_key",
    "body",
    "is_internal",
    "response_seconds",
    "created_at",
]
CLOCK_COLUMNS = ["last_seq", "last_activity_at", "awaiting_reply_since", "first_response_at"]


@functools.cache
def _insert_sql(count: int) -> str:
    quote = _connection().ops.quote_name
    row = f"({_placeholders(len(MESSAGE_COLUMNS))})"
    return (
        f"INSERT INTO {quote(Message._meta.db_table)} "  # noqa: S608  (names from the model)
        f"({', '.join(quote(c) for c in MESSAGE_COLUMNS)}) VALUES {', '.join([row] * count)} "
        f"RETURNING {quote('id')}, {quote('conversation_id')}, {quote('seq')}"
    )


@functools.cache
def _clocks_sql_sqlite() -> str:
    quote = _connection().ops.quote_name
    return "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608  (names from the model)
        quote(Conversation._meta.db_table),
        ", ".join(f"{quote(c)} = %s" for c in CLOCK_COLUMNS),
        quote("id"),
    )


@functools.cache
def _write_sql_postgresql(conversations: int, messages: int) -> str:
    """The clocks' update and the messages' insert as one statement (a data-modifying WITH)."""
    quote = _connection().ops.quote_name
    table = quote(Conversation._meta.db_table)
    row = "(%s::bigint, %s::integer, %s::timestamptz, %s::timestamptz, %s::timestamptz)"
    names = ", ".join(quote(c) for c in ["id", *CLOCK_COLUMNS])
    assignments = ", ".join(f"{quote(c)} = clocks.{quote(c)}" for c in CLOCK_COLUMNS)
    clocks = f"WITH clocks ({names}) AS (VALUES {', '.join([row] * conversations)}), "
    moved = (
        f"moved AS (UPDATE {table} SET {assignments} FROM clocks "  # noqa: S608  (names from the model)
        f"WHERE {table}.{quote('id')} = clocks.{quote('id')}) "
    )
    return clocks + moved + _insert_sql(messages)


def insert_messages(
    new: list[Message], changed: list[Conversation], also: tuple[str, list] | None = None
) -> None:
    """Insert `new` (numbered, not saved) and save the clocks of `changed`; sets each new message's
    id. The created_at of every new message must be set. `also`: a statement (SQL, parameters) of
    the same batch sent with the insert in one round trip (PostgreSQL only)."""
    connection = _connection()
    ops = connection.ops
    values = []
    for m in new:
        values += [
            m.conversation_id,
            m.seq,
            m.sender,
            m.author_id,
            m.client_key,
            m.body,
            m.is_internal,
            m.response_seconds,
            ops.adapt_datetimefield_value(m.created_at),
        ]
    clocks = [
        [
            c.pk,
            c.last_seq,
            ops.adapt_datetimefield_value(c.last_activity_at),
            ops.adapt_datetimefield_value(c.awaiting_reply_since),
            ops.adapt_datetimefield_value(c.first_response_at),
        ]
        for c in changed
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            write = (
                _write_sql_postgresql(len(changed), len(new)),
                [v for row in clocks for v in row] + values,
            )
            if also is None:
                cursor.execute(*write)
            else:
                raw = connection.connection
                # The write and the batch's other statement in one round trip; an error is raised
                # as the pipeline ends, as Django's (IntegrityError…) like any other.
                with connection.wrap_database_errors, raw.cursor() as also_cursor, raw.pipeline():
                    cursor.execute(*write)
                    also_cursor.execute(*also)
        else:
            if also is not None:
                raise ValueError("a statement sent along is PostgreSQL's pipeline only")
            cursor.execute(_insert_sql(len(new)), values)
        ids = {(conversation_id, seq): pk for pk, conversation_id, seq in cursor.fetchall()}
        if connection.vendor != "postgresql":
            cursor.executemany(_clocks_sql_sqlite(), [[*row[1:], row[0]] for row in clocks])
    for m in new:
        m.pk = ids[m.conversation_id, m.seq]
        m._state.adding = False
        m._state.db = connection.alias
