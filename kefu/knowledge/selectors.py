"""Reads of the knowledge base and who sees what: agents, inspectors and editors read published
articles (editors also drafts and the archive); customers only published public ones. Search by
relevance, the suggestions for an agent, the answers for a visitor, versions and their diff, the
category suggestion."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.knowledge import classify, ranking
from kefu.knowledge.documents import ARTICLES, PAST_ANSWERS
from kefu.knowledge.models import (
    Article,
    ArticleState,
    ArticleVersion,
    CategoryModel,
    PastAnswer,
    Visibility,
)

READ_PERMS = (Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY, Perm.EDIT_KNOWLEDGE)
MIN_SCORE = 0.0  # any match counts; "no good answer" means nothing matched


def may_read(user: User) -> bool:
    return any(user.has_perm(p) for p in READ_PERMS)


def may_edit(user: User) -> bool:
    return user.has_perm(Perm.EDIT_KNOWLEDGE)


def visible_articles(user: User) -> QuerySet[Article]:
    if not may_read(user):
        return Article.objects.none()
    qs = Article.objects.select_related("category")
    if not may_edit(user):
        qs = qs.filter(state=ArticleState.PUBLISHED)
    return qs


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(state=ArticleState.PUBLISHED, visibility=Visibility.PUBLIC)


def access_article(*, actor: User, article_id: int) -> Article:
    article = visible_articles(actor).prefetch_related("tags").filter(pk=article_id).first()
    if article is None:
        raise Http404
    return article


def articles(
    user: User,
    *,
    q: str = "",
    category_id: int | None = None,
    kind: str = "",
    state: str = "",
    visibility: str = "",
    tag: str = "",
) -> tuple[list[Article] | QuerySet[Article], tuple[str, ...]]:
    """The list: filtered; with `q`, the matches by relevance (at most ranking.CANDIDATES), else
    newest change first. Returns the rows and the words searched (for highlighting)."""
    qs = visible_articles(user)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if kind:
        qs = qs.filter(kind=kind)
    if state and may_edit(user):
        qs = qs.filter(state=state)
    if visibility:
        qs = qs.filter(visibility=visibility)
    if tag:
        qs = qs.filter(tags__name=tag[:30])
    if not q:
        return qs.order_by("-updated_at", "-id"), ()
    words = ranking.question_words(q)
    if not words:
        return [], ()
    return _ranked(qs, words), words


def _ranked(qs: QuerySet[Article], words: tuple[str, ...], *, limit: int = 60) -> list[Article]:
    """The articles of `qs` matching `words`, best first: the index's candidates, those `qs`
    allows (a narrow read: id, title, picks), boosted; then the full rows of the best `limit`."""
    candidates = ranking.candidates(ARTICLES, words)
    if not candidates:
        return []
    allowed = {
        pk: (title, picks)
        for pk, title, picks in qs.filter(pk__in=[h.pk for h in candidates]).values_list(
            "pk", "title", "picks"
        )
    }
    hits = ranking.boost(
        candidates,
        words,
        allowed_ids=set(allowed),
        titles={pk: v[0] for pk, v in allowed.items()},
        picks={pk: v[1] for pk, v in allowed.items()},
    )
    best = [h.pk for h in hits if h.score >= MIN_SCORE][:limit]
    rows = qs.in_bulk(best)
    return [rows[pk] for pk in best if pk in rows]


@dataclass
class Suggestions:
    words: tuple[str, ...]
    articles: list[Article] = field(default_factory=list)
    answers: list[PastAnswer] = field(default_factory=list)


def suggestions(
    user: User, text: str, *, articles_limit: int = 5, answers_limit: int = 3
) -> Suggestions:
    """What to suggest an agent for a customer's words: the best published articles and past
    agents' answers to questions like it."""
    words = ranking.question_words(text[-400:])
    found = Suggestions(words=words)
    if not words or not may_read(user):
        return found
    found.articles = _ranked(
        Article.objects.select_related("category").filter(state=ArticleState.PUBLISHED),
        words,
        limit=articles_limit,
    )
    hits = ranking.candidates(PAST_ANSWERS, words)[: answers_limit * 5]
    rows = PastAnswer.objects.in_bulk([h.pk for h in hits])
    picks = {pk: a.picks for pk, a in rows.items()}
    rescored = ranking.boost(hits, words, allowed_ids=set(rows), picks=picks)
    found.answers = [rows[h.pk] for h in rescored if h.score >= MIN_SCORE][:answers_limit]
    return found


def self_service_answers(text: str, *, limit: int = 3) -> tuple[list[Article], tuple[str, ...]]:
    """The best published public articles for what a visitor typed."""
    words = ranking.question_words(text)
    if not words:
        return [], ()
    return _ranked(public_articles().select_related("category"), words, limit=limit), words


def versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("changed_by").order_by("-number")


@dataclass
class DiffLine:
    op: str  # "+", "-" or " "
    text: str


def version_diff(older: ArticleVersion | None, newer: ArticleVersion) -> list[DiffLine]:
    """Line by line: title, fields, then the text."""

    def lines(version: ArticleVersion | None) -> list[str]:
        if version is None:
            return []
        fields = [f"{k}: {v}" for k, v in sorted(version.fields.items()) if v not in ("", [])]
        return [f"# {version.title}", *fields, "", *version.body.splitlines()]

    out = []
    for raw in difflib.ndiff(lines(older), lines(newer)):
        if raw.startswith("? "):
            continue
        out.append(DiffLine(op=raw[0], text=raw[2:]))
    return out


def access_version(*, article: Article, number: int) -> ArticleVersion:
    version = article.versions.select_related("changed_by").filter(number=number).first()
    if version is None:
        raise Http404
    return version


def suggest_categories(text: str, *, top: int = 3) -> list[tuple[int, float]]:
    """(ticket category id, probability) from the locally trained model; none until trained."""
    model = CategoryModel.objects.filter(pk=1).first()
    if model is None or not text.strip():
        return []
    return classify.predict(model.data, text, top=top)


def training_samples(*, limit: int = 20_000) -> list[tuple[str, int]]:
    """Closed tickets with a category: subject and description, newest first."""
    from kefu.tickets.models import Ticket
    from kefu.tickets.states import TicketState

    rows = (
        Ticket.objects.filter(state=TicketState.CLOSED, category__isnull=False)
        .order_by("-id")
        .values_list("subject", "content", "category_id")[:limit]
    )
    return [(f"{s} {c}", cat) for s, c, cat in rows]


def last_customer_text(conversation_id: int, *, messages: int = 3) -> str:
    from kefu.conversations.models import Message, SenderKind

    bodies = list(
        Message.objects.filter(
            conversation_id=conversation_id, sender=SenderKind.VISITOR, is_internal=False
        )
        .order_by("-seq")
        .values_list("body", flat=True)[:messages]
    )
    return " ".join(reversed(bodies))


def conversation_lines(conversation_id: int, *, messages: int = 40) -> list[str]:
    """The chat's last messages, oldest first, each headed by who wrote it (for a summary): the
    customer and the agents, no internal notes or system lines."""
    from kefu.conversations.models import Message, SenderKind

    rows = list(
        Message.objects.filter(
            conversation_id=conversation_id,
            sender__in=(SenderKind.VISITOR, SenderKind.AGENT),
            is_internal=False,
        )
        .order_by("-seq")
        .values_list("sender", "body")[:messages]
    )
    speaker = {SenderKind.VISITOR: "客户", SenderKind.AGENT: "客服"}
    return [f"{speaker[SenderKind(s)]}：{body}" for s, body in reversed(rows)]
