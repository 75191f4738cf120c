"""The migration step that puts the full-text index next to a document table.

    from kefu.core.search.operations import CreateSearchIndex

    operations = [
        migrations.CreateModel(name="TicketSearchDocument", …),
        CreateSearchIndex("ticketsearchdocument"),
    ]

On SQLite it creates the FTS5 table and its triggers (and fills the index from rows already in
the table); on PostgreSQL the GIN index on the tsvector column. Reversible. A later migration that
makes Django rebuild the document table on SQLite (AlterField…) drops the triggers with the old
table: run RemoveSearchIndex before it and CreateSearchIndex after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import migrations

from kefu.core.search import backends

if TYPE_CHECKING:
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.migrations.state import ProjectState


class CreateSearchIndex(migrations.operations.base.Operation):
    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _table(self, app_label: str, state: ProjectState) -> tuple[str, str]:
        model = state.apps.get_model(app_label, self.model_name)
        return model._meta.db_table, model._meta.pk.column

    def _run(self, schema_editor: BaseDatabaseSchemaEditor, statements: Iterable[str]) -> None:
        for sql in statements:
            schema_editor.execute(sql, params=None)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        table, pk = self._table(app_label, to_state)
        self._run(
            schema_editor,
            backends.create_index_sql(
                schema_editor.connection.vendor, table, pk, quote=schema_editor.quote_name
            ),
        )

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        table, _pk = self._table(app_label, from_state)
        self._run(
            schema_editor,
            backends.drop_index_sql(
                schema_editor.connection.vendor, table, quote=schema_editor.quote_name
            ),
        )

    def describe(self) -> str:
        return f"Create the full-text index of {self.model_name}"

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        return self.__class__.__name__, [self.model_name], {}


class RemoveSearchIndex(CreateSearchIndex):
    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        CreateSearchIndex.database_backwards(self, app_label, schema_editor, to_state, from_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        CreateSearchIndex.database_forwards(self, app_label, schema_editor, to_state, from_state)

    def describe(self) -> str:
        return f"Remove the full-text index of {self.model_name}"
