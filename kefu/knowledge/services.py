"""Writes of the knowledge base: articles (every change a version), review and publishing, the
synonyms and the domain dictionary, the agents' picks, self-service questions and their outcome,
the learning loop's unanswered questions, past answers from closed chats, flagged messages and the
category model."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.masking import mask_text
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core import search
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.core.uploads import inspect_upload, storage_path
from kefu.knowledge import classify, flags
from kefu.knowledge.documents import ARTICLES, PAST_ANSWERS
from kefu.knowledge.events import ArticlePublished, MessageFlagged
from kefu.knowledge.models import (
    Article,
    ArticleFile,
    ArticleKind,
    ArticleState,
    ArticleVersion,
    AssistPick,
    Category,
    CategoryModel,
    DomainWord,
    MessageFlag,
    Outcome,
    PastAnswer,
    PickSource,
    SelfServiceQuery,
    SynonymGroup,
    Tag,
    UnansweredQuestion,
    Visibility,
)
from kefu.knowledge.ranking import load_dictionary
from kefu.knowledge.states import ARTICLE_FLOW


def _text(value: str | None, *, limit: int, required: str | None = None) -> str:
    value = strip_control_characters(value or "").strip()[:limit]
    if required and not value:
        raise DomainError(required)
    return value


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionRefused(_("Your role may not change the knowledge base."))


def _snapshot(article: Article) -> dict[str, object]:
    return {
        "kind": article.kind,
        "category": article.category.name,
        "tags": sorted(t.name for t in article.tags.all()),
        "visibility": article.visibility,
        "sku": article.sku,
        "specs": article.specs,
        "price": str(article.price) if article.price is not None else "",
        "care_notes": article.care_notes,
    }


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(_text(n, limit=30) for n in names[:20]):
        if name:
            tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


@transaction.atomic
def save_article(
    *,
    actor: User,
    article_id: int | None = None,
    expected_version: int | None = None,
    title: str,
    body: str,
    category_id: int,
    kind: str = ArticleKind.FAQ,
    visibility: str = Visibility.INTERNAL,
    tags: list[str] | None = None,
    sku: str = "",
    specs: str = "",
    price: Decimal | None = None,
    care_notes: str = "",
    note: str = "",
) -> Article:
    """Write a new article (a draft) or change one; either way a new version records who changed
    what. A change to a published article makes it a draft again: it is reviewed before readers
    see the new text (the published text stays in the history)."""
    _require(actor, Perm.EDIT_KNOWLEDGE)
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise DomainError(_("Choose a category."))
    if kind not in ArticleKind.values or visibility not in Visibility.values:
        raise DomainError(_("Choose a type and a visibility from the lists."))
    if price is not None and (price < 0 or price > Decimal("99999999")):
        raise DomainError(_("The price must be between 0 and 99,999,999."))
    values = {
        "title": _text(title, limit=200, required=_("The title is required.")),
        "body": _text(body, limit=20_000, required=_("The text is required.")),
        "category": category,
        "kind": kind,
        "visibility": visibility,
        "sku": _text(sku, limit=40),
        "specs": _text(specs, limit=4000),
        "price": price,
        "care_notes": _text(care_notes, limit=4000),
    }
    if article_id is None:
        article = Article.objects.create(created_by=actor, changed_by=actor, **values)
    else:
        locked = Article.objects.select_for_update().filter(pk=article_id).first()
        if locked is None:
            raise DomainError(_("This article does not exist (any more)."))
        article = locked
        if expected_version is not None and expected_version != article.version:
            raise Conflict(
                _("Someone changed this article meanwhile (now version %(v)d); reload it.")
                % {"v": article.version}
            )
        if article.state == ArticleState.ARCHIVED:
            raise DomainError(_("Restore the archived article before changing it."))
        for field, value in values.items():
            setattr(article, field, value)
        article.version += 1
        article.changed_by = actor
        if article.state == ArticleState.PUBLISHED:
            article.state = ArticleState.DRAFT
        article.save()
    article.tags.set(_tags(tags or []))
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        fields=_snapshot(article),
        note=_text(note, limit=200),
        changed_by=actor,
    )
    load_dictionary()  # the shop's words, as this process's jieba cuts them
    search.index(ARTICLES, Article.objects.prefetch_related("tags").get(pk=article.pk))
    return article


@transaction.atomic
def move_article(
    *, actor: User, article_id: int, move: str, expected_version: int | None = None
) -> Article:
    """Submit for review, publish (a second person), return, archive or restore."""
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise DomainError(_("This article does not exist (any more)."))
    if expected_version is not None and expected_version != article.version:
        raise Conflict(_("Someone changed this article meanwhile; reload it."))
    ARTICLE_FLOW.check(article.state, move, actor=actor, obj=article)
    article.state = ARTICLE_FLOW.target_of(article.state, move)
    fields = ["state", "updated_at"]
    if move == "publish":
        article.published_by, article.published_at = actor, timezone.now()
        fields += ["published_by", "published_at"]
        emit(
            ArticlePublished(
                article_id=article.pk, published_by_id=actor.pk, changed_by_id=article.changed_by_id
            )
        )
    article.save(update_fields=fields)
    return article


# --- what search understands ----------------------------------------------------------------------


def _lines(text: str, *, limit: int) -> list[str]:
    return [line for line in (_text(raw, limit=limit) for raw in text.splitlines()[:500]) if line]


@transaction.atomic
def set_synonyms(*, actor: User, text: str) -> int:
    """One group per line, words separated by spaces (退款 退钱 返款); replaces every group."""
    _require(actor, Perm.EDIT_KNOWLEDGE)
    groups = [" ".join(dict.fromkeys(line.split()[:20])) for line in _lines(text, limit=300)]
    groups = [g for g in groups if len(g.split()) > 1]
    SynonymGroup.objects.all().delete()
    SynonymGroup.objects.bulk_create(SynonymGroup(words=g) for g in groups)
    return len(groups)


@transaction.atomic
def set_domain_words(*, actor: User, text: str) -> int:
    """One word per line (or separated by spaces); replaces the dictionary. The articles are indexed
    again after commit, so a new word is found in what was written before it."""
    from kefu.knowledge.tasks import reindex_articles

    _require(actor, Perm.EDIT_KNOWLEDGE)
    words = dict.fromkeys(w[:30] for line in _lines(text, limit=2000) for w in line.split())
    DomainWord.objects.exclude(word__in=list(words)).delete()
    existing = set(DomainWord.objects.values_list("word", flat=True))
    DomainWord.objects.bulk_create(DomainWord(word=w) for w in words if w not in existing)
    transaction.on_commit(reindex_articles)
    return len(words)


# --- agent assist ---------------------------------------------------------------------------------


@transaction.atomic
def record_pick(
    *,
    actor: User,
    source: str,
    source_id: int,
    article_id: int | None = None,
    past_answer_id: int | None = None,
) -> AssistPick:
    """An agent quoted a suggestion: remembered, and the article or answer ranks higher."""
    if source not in PickSource.values or (article_id is None) == (past_answer_id is None):
        raise DomainError(_("Pick one article or one past answer."))
    if article_id is not None:
        updated = Article.objects.filter(pk=article_id).update(picks=F("picks") + 1)
    else:
        updated = PastAnswer.objects.filter(pk=past_answer_id or 0).update(picks=F("picks") + 1)
    if not updated:
        raise DomainError(_("This suggestion does not exist (any more)."))
    return AssistPick.objects.create(
        article_id=article_id,
        past_answer_id=past_answer_id,
        source=source,
        source_id=source_id,
        agent=actor,
    )


def record_unanswered(*, question: str, source: str) -> None:
    """学习闭环: count a question nothing answered well, for managers to write an article."""
    question = " ".join(_text(question, limit=400).split())[:200]
    if len(question) < 2:
        return
    updated = UnansweredQuestion.objects.filter(question=question, resolved_by=None).update(
        times=F("times") + 1, last_asked_at=timezone.now()
    )
    if not updated:
        try:
            with transaction.atomic():
                UnansweredQuestion.objects.create(question=question, source=source[:20])
        except IntegrityError:  # asked again meanwhile, or answered before
            UnansweredQuestion.objects.filter(question=question).update(times=F("times") + 1)


@transaction.atomic
def resolve_unanswered(*, actor: User, question_id: int, article_id: int | None) -> None:
    _require(actor, Perm.EDIT_KNOWLEDGE)
    UnansweredQuestion.objects.filter(pk=question_id).update(resolved_by_id=article_id)


# --- self-service in the widget -------------------------------------------------------------------


def record_self_service(
    *, inbox_id: int, question: str, article_ids: list[int]
) -> SelfServiceQuery:
    question = _text(question, limit=500)
    query = SelfServiceQuery.objects.create(
        inbox_id=inbox_id,
        question=question,
        article_ids=article_ids[:10],
        outcome=Outcome.SHOWN if article_ids else Outcome.UNANSWERED,
    )
    if not article_ids:
        record_unanswered(question=question, source="widget")
    return query


@transaction.atomic
def settle_self_service(
    *, inbox_id: int, query_id: int, outcome: str, article_id: int | None = None
) -> SelfServiceQuery:
    """The visitor said "this solved it" (deflected) or "talk to a person"."""
    query = (
        SelfServiceQuery.objects.select_for_update().filter(pk=query_id, inbox_id=inbox_id).first()
    )
    if query is None:
        raise DomainError(_("This question does not exist (any more)."))
    if outcome not in (Outcome.SOLVED, Outcome.PERSON):
        raise DomainError(_("Say whether it solved your question or you want a person."))
    if outcome == Outcome.SOLVED and article_id is not None:
        if article_id not in query.article_ids:
            raise DomainError(_("This answer was not shown for your question."))
        query.solved_article_id = article_id
        Article.objects.filter(pk=article_id).update(picks=F("picks") + 1)
    elif outcome == Outcome.PERSON and query.outcome != Outcome.PERSON:
        record_unanswered(question=query.question, source="widget")
    query.outcome = outcome
    query.save(update_fields=["outcome", "solved_article"])
    return query


# --- past answers, flags, categories --------------------------------------------------------------


@transaction.atomic
def collect_past_answers(*, conversation_id: int, pairs: list[tuple[str, str, int | None]]) -> int:
    """Keep a closed chat's question → agent answer pairs (phone and ID numbers masked), once."""
    if PastAnswer.objects.filter(conversation_id=conversation_id).exists():
        return 0
    rows = [
        PastAnswer(
            conversation_id=conversation_id,
            question=mask_text(q, viewer=None)[:2000],
            answer=mask_text(a, viewer=None)[:2000],
            agent_id=agent_id,
        )
        for q, a, agent_id in pairs
        if q.strip() and a.strip()
    ]
    created = PastAnswer.objects.bulk_create(rows)
    load_dictionary()
    search.index_ids(PAST_ANSWERS, [r.pk for r in created])
    return len(created)


PAIRS_PER_CHAT = 20


def collect_chat_answers(*, conversation_id: int) -> int:
    """A closed chat's pairs: each run of the customer's messages followed by an agent's reply."""
    from kefu.conversations.models import Message, SenderKind

    pairs: list[tuple[str, str, int | None]] = []
    question: list[str] = []
    for sender, body, author_id in (
        Message.objects.filter(conversation_id=conversation_id, is_internal=False)
        .order_by("seq")
        .values_list("sender", "body", "author_id")[:400]
    ):
        if sender == SenderKind.VISITOR:
            question.append(body)
        elif sender == SenderKind.AGENT and question:
            pairs.append((" ".join(question)[-1000:], body, author_id))
            question = []
    return collect_past_answers(conversation_id=conversation_id, pairs=pairs[:PAIRS_PER_CHAT])


@transaction.atomic
def flag_message(
    *,
    conversation_id: int,
    message_id: int,
    body: str,
    earlier_bodies: list[str],
    assignee_id: int | None,
) -> MessageFlag | None:
    """Flag a customer's message that reads angry or urgent and tell the supervisors (after
    commit, through MessageFlagged); a message is flagged once."""
    reasons = flags.reasons(body, earlier=earlier_bodies)
    if not reasons:
        return None
    excerpt = mask_text(_text(body, limit=200), viewer=None)[:200]
    try:
        with transaction.atomic():
            flag = MessageFlag.objects.create(
                conversation_id=conversation_id,
                message_id=message_id,
                reasons=reasons,
                excerpt=excerpt,
            )
    except IntegrityError:
        return None
    emit(
        MessageFlagged(
            conversation_id=conversation_id,
            message_id=message_id,
            reasons=",".join(reasons),
            assignee_id=assignee_id,
            excerpt=excerpt,
        )
    )
    return flag


def train_category_model(*, samples: list[tuple[str, int]]) -> CategoryModel:
    """Train the naive-Bayes category model on (text, category id) pairs and keep it."""
    data = classify.train(samples)
    model, _created = CategoryModel.objects.update_or_create(
        pk=1, defaults={"samples": len(samples), "data": data}
    )
    return model


MAX_FILES_PER_ARTICLE = 20


def add_article_file(*, actor: User, article_id: int, upload: UploadedFile) -> ArticleFile:
    """An image or document for an article: checked by content and size (kefu.core.uploads),
    stored under a random name; refused whole when it fails the check."""
    if not actor.has_perm(Perm.EDIT_KNOWLEDGE):
        raise PermissionRefused(_("Your role may not change the knowledge base."))
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise DomainError(_("This article does not exist (any more)."))
    if article.state == ArticleState.ARCHIVED:
        raise DomainError(_("The article is archived; files can no longer be added."))
    inspected = inspect_upload(upload)
    if article.files.count() >= MAX_FILES_PER_ARTICLE:
        raise DomainError(
            _("An article holds at most %(max)d files.") % {"max": MAX_FILES_PER_ARTICLE}
        )
    stored = default_storage.save(storage_path("knowledge", inspected), upload)
    try:
        return ArticleFile.objects.create(
            article=article,
            file=stored,
            name=inspected.name,
            content_type=inspected.kind.content_type,
            size=inspected.size,
            uploaded_by=actor,
        )
    except Exception:
        default_storage.delete(stored)
        raise
