"""Knowledge API: list articles (newest change first), read one, search by relevance; editors write
articles (each change a version) and move them through review. Readers are the roles that read the
knowledge base; drafts only for editors (404 otherwise)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Router, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.core.pagination import keyset_page
from kefu.knowledge import selectors, services
from kefu.knowledge.models import Article, ArticleKind
from kefu.knowledge.schemas import ArticleIn, ArticleMoveIn, ArticleOut, ArticlePage, SearchOut

router = Router(tags=["knowledge"])


def article_out(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "kind": article.kind,
        "category": article.category.name,
        "tags": [t.name for t in article.tags.all()],
        "visibility": article.visibility,
        "state": article.state,
        "sku": article.sku,
        "specs": article.specs,
        "price": article.price,
        "care_notes": article.care_notes,
        "version": article.version,
        "updated_at": article.updated_at,
        "published_at": article.published_at,
    }


def _reader(request: AuthenticatedRequest) -> None:
    if not selectors.may_read(request.user):
        raise PermissionDenied


@router.get("/knowledge/articles", response=ArticlePage, summary="List articles, newest first")
def list_articles(
    request: AuthenticatedRequest,
    kind: str = "",
    category_id: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    _reader(request)
    qs = selectors.visible_articles(request.user).prefetch_related("tags").order_by("-id")
    if kind in ArticleKind.values:
        qs = qs.filter(kind=kind)
    if category_id:
        qs = qs.filter(category_id=category_id)
    page = keyset_page(qs, cursor=cursor, size=max(1, min(limit, 100)))
    return {"items": [article_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.get("/knowledge/articles/{article_id}", response=ArticleOut, summary="One article")
def get_article(request: AuthenticatedRequest, article_id: int) -> dict[str, Any]:
    _reader(request)
    return article_out(selectors.access_article(actor=request.user, article_id=article_id))


@router.get(
    "/knowledge/search",
    response=SearchOut,
    summary="Search articles by relevance (BM25 / ts_rank, synonyms, the domain dictionary)",
)
def search_articles(request: AuthenticatedRequest, q: str = "", limit: int = 10) -> dict[str, Any]:
    _reader(request)
    rows, words = selectors.articles(request.user, q=q[:10_000])
    items = [
        {
            "id": a.pk,
            "title": a.title,
            "kind": a.kind,
            "category": a.category.name,
            "visibility": a.visibility,
            "snippet": str(a.body[:160]),
        }
        # sliced before it is read: an empty query lists every article newest first
        for a in rows[: max(1, min(limit, 50))]
    ]
    return {"words": list(words), "items": items}


def _write(request: AuthenticatedRequest, body: ArticleIn, article_id: int | None) -> Article:
    article = services.save_article(
        actor=request.user,
        article_id=article_id,
        expected_version=body.version,
        title=body.title,
        body=body.body,
        category_id=body.category_id,
        kind=body.kind,
        visibility=body.visibility,
        tags=body.tags,
        sku=body.sku,
        specs=body.specs,
        price=body.price,
        care_notes=body.care_notes,
        note=body.note,
    )
    return selectors.access_article(actor=request.user, article_id=article.pk)


@router.post(
    "/knowledge/articles",
    response={201: ArticleOut},
    summary="Write a new article (a draft, to be submitted for review)",
)
def create_article(request: AuthenticatedRequest, body: ArticleIn) -> Status[dict[str, Any]]:
    _reader(request)
    return Status(201, article_out(_write(request, body, None)))


@router.put(
    "/knowledge/articles/{article_id}",
    response=ArticleOut,
    summary="Change an article (a new version; a published one is reviewed again)",
)
def update_article(
    request: AuthenticatedRequest, article_id: int, body: ArticleIn
) -> dict[str, Any]:
    _reader(request)
    selectors.access_article(actor=request.user, article_id=article_id)
    return article_out(_write(request, body, article_id))


@router.post(
    "/knowledge/articles/{article_id}/moves",
    response=ArticleOut,
    summary="Move an article through review: submit, publish, return, archive, restore",
)
def move_article(
    request: AuthenticatedRequest, article_id: int, body: ArticleMoveIn
) -> dict[str, Any]:
    _reader(request)
    selectors.access_article(actor=request.user, article_id=article_id)
    services.move_article(
        actor=request.user, article_id=article_id, move=body.move, expected_version=body.version
    )
    return article_out(selectors.access_article(actor=request.user, article_id=article_id))
