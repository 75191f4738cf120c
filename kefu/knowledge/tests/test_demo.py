"""The lamp shop's catalogue, built as the demo builds it, answers its labelled questions: the right
article is in the first five for at least 80% of them (bench/knowledge measures all 200 over the
whole catalogue), and the widget's answers are public ones only."""

import pytest

from kefu.accounts.roles import Role
from kefu.knowledge import catalogue, selectors
from kefu.knowledge.demo import build_catalogue
from kefu.knowledge.models import Article, ArticleState

pytestmark = pytest.mark.django_db


def test_the_catalogue_answers_its_labelled_questions(make_user):
    writer, reviewer = make_user(Role.SUPERVISOR), make_user(Role.MANAGER)
    written = build_catalogue(writer=writer, reviewer=reviewer, products_limit=12)
    assert (
        written
        == Article.objects.filter(state=ArticleState.PUBLISHED).count()
        == 12 * 5 + len(catalogue.POLICIES)
    )
    keys = {(e.title): e.key for e in catalogue.entries(products_limit=12)}
    agent = make_user(Role.AGENT)
    labelled = catalogue.questions(limit=80, products_limit=12)
    hits = 0
    for question, key in labelled:
        found = selectors.suggestions(agent, question).articles
        hits += key in [keys[a.title] for a in found[:5]]
    assert hits / len(labelled) >= 0.8
    public, _words = selectors.self_service_answers("极光吸顶灯怎么安装")
    assert all(a.visibility == "public" for a in public)
