"""Demo knowledge: the lamp shop's catalogue (kefu/knowledge/catalogue.py) written by a supervisor and
published by a manager through the services, the shop's synonyms and dictionary, past answers from
the demo's closed chats, some self-service questions and the category model trained on the demo's
closed tickets. Nobody is told (events muted)."""

from __future__ import annotations

import random

from django.db import transaction

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.events import muted
from kefu.knowledge import catalogue, selectors, services
from kefu.knowledge.models import Article, Category, Outcome


def closed_chats() -> list[int]:
    from kefu.conversations.models import Conversation, ConversationState

    return list(
        Conversation.objects.filter(state=ConversationState.CLOSED)
        .order_by("-id")
        .values_list("pk", flat=True)[:300]
    )


def build_catalogue(*, writer: User, reviewer: User, products_limit: int | None = None) -> int:
    """Every catalogue article, published; returns how many were written."""
    services.set_domain_words(actor=writer, text="\n".join(catalogue.domain_words()))
    services.set_synonyms(actor=writer, text="\n".join(catalogue.SYNONYMS))
    categories = {
        name: Category.objects.get_or_create(name=name, defaults={"order": n})[0]
        for n, name in enumerate(catalogue.CATEGORIES)
    }
    written = 0
    for entry in catalogue.entries(products_limit=products_limit):
        with transaction.atomic():
            article = services.save_article(
                actor=writer,
                title=entry.title,
                body=entry.body,
                category_id=categories[entry.category].pk,
                kind=entry.kind,
                visibility=entry.visibility,
                tags=entry.tags,
                sku=entry.sku,
                specs=entry.specs,
                price=entry.price,
                care_notes=entry.care_notes,
            )
            services.move_article(actor=writer, article_id=article.pk, move="submit")
            services.move_article(actor=reviewer, article_id=article.pk, move="publish")
        written += 1
    return written


def build(*, password: str, seed: int = 2026) -> None:
    if Article.objects.exists():
        return
    writer = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id").first()
    reviewer = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
    if writer is None or reviewer is None:
        return
    rng = random.Random(seed)
    with muted():
        build_catalogue(writer=writer, reviewer=reviewer)
        # Self-service in the widget: some solved, some asked for a person, some unanswered.
        for question, _key in rng.sample(catalogue.questions(), 40):
            found, _words = selectors.self_service_answers(question)
            query = services.record_self_service(
                inbox_id=0, question=question, article_ids=[a.pk for a in found]
            )
            if found and rng.random() < 0.6:
                services.settle_self_service(
                    inbox_id=0, query_id=query.pk, outcome=Outcome.SOLVED, article_id=found[0].pk
                )
            elif found:
                services.settle_self_service(inbox_id=0, query_id=query.pk, outcome=Outcome.PERSON)
        for question in ["灯能用太阳能充电吗", "有没有防水的户外灯", "可以货到付款吗"]:
            services.record_self_service(inbox_id=0, question=question, article_ids=[])
        services.train_category_model(samples=selectors.training_samples())
        for conversation_id in closed_chats()[:300]:
            services.collect_chat_answers(conversation_id=conversation_id)
