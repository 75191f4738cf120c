"""How an article reaches readers: written (draft), handed in for review, published by a second
person (never by who made its last change), archived; any change to a published article makes it
a draft again until it is reviewed."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.statemachine import StateMachine, Transition, require_perm, role_guard
from kefu.knowledge.models import Article
from kefu.knowledge.models import ArticleState as S


@role_guard
def second_person(actor: User | None, article: Article | None) -> str | None:
    """Review before publishing: who made the last change may not publish it."""
    if actor is not None and article is not None and article.changed_by_id == actor.pk:
        return _("a second person publishes: you made the last change yourself")
    return None


ARTICLE_FLOW = StateMachine(
    subject=gettext_lazy("article"),
    states=S,
    transitions=[
        Transition(
            "submit",
            gettext_lazy("Submit for review"),
            source={S.DRAFT},
            target=S.IN_REVIEW,
            guard=require_perm(Perm.EDIT_KNOWLEDGE),
        ),
        Transition(
            "publish",
            gettext_lazy("Publish"),
            source={S.IN_REVIEW},
            target=S.PUBLISHED,
            guards=[require_perm(Perm.PUBLISH_KNOWLEDGE), second_person],
        ),
        Transition(
            "return",
            gettext_lazy("Return to the author"),
            source={S.IN_REVIEW},
            target=S.DRAFT,
            guard=require_perm(Perm.PUBLISH_KNOWLEDGE),
        ),
        Transition(
            "archive",
            gettext_lazy("Archive"),
            source={S.DRAFT, S.IN_REVIEW, S.PUBLISHED},
            target=S.ARCHIVED,
            guard=require_perm(Perm.PUBLISH_KNOWLEDGE),
        ),
        Transition(
            "restore",
            gettext_lazy("Restore as draft"),
            source={S.ARCHIVED},
            target=S.DRAFT,
            guard=require_perm(Perm.EDIT_KNOWLEDGE),
        ),
    ],
)
