import datetime as dt
from decimal import Decimal

from ninja import Schema


class ArticleOut(Schema):
    id: int
    title: str
    body: str  # plain text: show it escaped
    kind: str
    category: str
    tags: list[str]
    visibility: str
    state: str
    sku: str
    specs: str
    price: Decimal | None
    care_notes: str
    version: int
    updated_at: dt.datetime
    published_at: dt.datetime | None


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: int | None


class ArticleHit(Schema):
    id: int
    title: str
    kind: str
    category: str
    visibility: str
    snippet: str  # plain text around the first word found


class SearchOut(Schema):
    words: list[str]  # the words looked for, synonyms included
    items: list[ArticleHit]
