import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

MAX_ID = 2_147_483_647


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


class ArticleIn(Schema):
    """A new article (a draft) or a change to one (a new version; a published article becomes a
    draft again, reviewed before readers see the change)."""

    title: str = Field(max_length=200)
    body: str = Field(max_length=20_000, description="plain text, never HTML")
    category_id: int = Field(ge=1, le=MAX_ID)
    kind: str = Field("faq", description="faq, policy, product, script or guide")
    visibility: str = Field("internal", description="internal or public")
    tags: list[str] = Field(default_factory=list, max_length=20)
    sku: str = Field("", max_length=40, description="product sheets")
    specs: str = Field("", max_length=4000)
    price: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    care_notes: str = Field("", max_length=4000)
    note: str = Field("", max_length=200, description="what changed, for the history")
    version: int | None = Field(
        None, ge=1, le=MAX_ID, description="a change: the version read; a stale one answers 409"
    )


class ArticleMoveIn(Schema):
    move: str = Field(
        description="submit (for review), publish (not by who made the last change), return, "
        "archive or restore"
    )
    version: int | None = Field(None, ge=1, le=MAX_ID, description="a stale version answers 409")
