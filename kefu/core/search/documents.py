"""The table an app keeps its documents in: one per kind, keyed by the indexed object's id.

    class TicketSearchDocument(SearchDocument):
        ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True,
                                      related_name="+")

The primary key *is* the object's id, so the index returns object ids in id order (newest first
without sorting). Deleting the object deletes its document (CASCADE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:  # the stubs' fields take the types written and read; Django's take no arguments
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.expressions import Combinable
    from django.db.models.sql.compiler import SQLCompiler

    _TextField = models.TextField[str | Combinable, str]
else:
    _TextField = models.TextField


class SearchBodyField(_TextField):
    """The document's tokens, space-separated. On PostgreSQL the column is a `tsvector` built from
    them as it is written (no text copy is kept); on SQLite it is text, which an FTS5 table reads
    as its external content (kefu.core.search.operations.CreateSearchIndex)."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return "tsvector" if connection.vendor == "postgresql" else super().db_type(connection)

    def get_placeholder(
        self, value: Any, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> str:
        if connection.vendor == "postgresql":
            return "array_to_tsvector(string_to_array(%s, ' '))"
        return "%s"


class SearchDocument(models.Model):
    """Abstract: subclass it with a OneToOneField primary key to the indexed model."""

    body = SearchBodyField(default="", editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"
