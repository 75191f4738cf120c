"""Full-text search for every app: jieba words in the database's own index (SQLite FTS5,
PostgreSQL tsvector + GIN). docs/search.md explains the design and its figures.

An app registers each kind of document it wants found, from its AppConfig.ready():

    # models.py: where the kind's documents live (primary key = the object's id)
    class TicketSearchDocument(SearchDocument):
        ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True,
                                      related_name="+")
    # its migration: CreateModel(...) then CreateSearchIndex("ticketsearchdocument")

    # the app's module, registered from ready():
    TICKETS = search.register(search.Kind(
        name="tickets.ticket", model=Ticket, documents=TicketSearchDocument,
        document=lambda t: search.Document(text=[t.subject, t.content],
                                           keywords=[t.number, t.customer.name if t.customer else ""]),
        source=lambda: Ticket.objects.select_related("customer"),
    ))

    # services, inside their transaction, after the object is saved:
    search.index(TICKETS, ticket)           # or search.index_ids(TICKETS, ids), search.remove(...)
    search.add(CONVERSATIONS, {pk: search.Document(text=[new_message])})  # a document that grows

    # selectors: narrow any queryset (access rules and filters stay as they are) …
    qs = search.filter(visible_tickets(user), TICKETS, q)
    # … and page it with kefu.core.pagination.keyset_page, which reads the index newest first.

`kefu search_rebuild [kind …]` writes every document again (after a change of `document`, or to
repair); a new kind's migration fills its index from documents already written.
"""

from kefu.core.search.engine import (
    add,
    add_statement,
    filter,
    index,
    index_ids,
    index_many,
    ranked,
    rebuild,
    remove,
    write_documents,
)
from kefu.core.search.registry import Document, Kind, get, kinds, register
from kefu.core.search.tokens import clean_query, document_tokens, load, query_tokens

__all__ = [
    "Document",
    "Kind",
    "add",
    "add_statement",
    "clean_query",
    "document_tokens",
    "filter",
    "get",
    "index",
    "index_ids",
    "index_many",
    "kinds",
    "load",
    "query_tokens",
    "ranked",
    "rebuild",
    "register",
    "remove",
    "write_documents",
]
