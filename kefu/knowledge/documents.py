"""What articles and past answers are found by (kefu/core/search, docs/search.md)."""

from kefu.core import search
from kefu.core.personal_data import ERASED
from kefu.knowledge.models import (
    Article,
    ArticleSearchDocument,
    PastAnswer,
    PastAnswerSearchDocument,
)


def _article_document(article: Article) -> search.Document:
    tags = [t.name for t in article.tags.all()] if article.pk else []
    return search.Document(
        text=[article.title, article.body, article.specs, article.care_notes, *tags],
        keywords=[article.sku],
    )


ARTICLES = search.Kind(
    name="knowledge.article",
    model=Article,
    documents=ArticleSearchDocument,
    document=_article_document,
    source=lambda: Article.objects.prefetch_related("tags"),
)

PAST_ANSWERS = search.Kind(
    name="knowledge.pastanswer",
    model=PastAnswer,
    documents=PastAnswerSearchDocument,
    document=lambda a: search.Document(text=[a.question]),
    # A pair erased with its customer's data (personal_data.py) is suggested to nobody.
    source=lambda: PastAnswer.objects.exclude(question=ERASED),
)


def register() -> None:
    search.register(ARTICLES)
    search.register(PAST_ANSWERS)
