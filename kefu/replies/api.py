"""Canned replies API: the replies the caller may use, filled for a conversation when one is named."""

from ninja import Router

from kefu.conversations.selectors import access_conversation, display_name
from kefu.replies.schemas import CannedReplyOut
from kefu.replies.selectors import usable_replies
from kefu.replies.services import fill_variables

router = Router(tags=["canned replies"])


@router.get(
    "/canned-replies",
    response=list[CannedReplyOut],
    summary="Canned replies the caller may use (personal, their teams', everyone's); q filters by shortcut or title",
)
def list_replies(request, q: str = "", conversation: int | None = None):
    values = {"agent_name": str(request.user)}
    if conversation is not None:
        c = access_conversation(actor=request.user, conversation_id=conversation)
        values["customer_name"] = c.customer.name if c.customer else display_name(c)
    q = q.strip().lstrip("/").lower()
    out = []
    for r in usable_replies(request.user)[:500]:
        if q and not (r.shortcut.lower().startswith(q) or q in r.title.lower()):
            continue
        out.append(
            {
                "id": r.pk,
                "shortcut": r.shortcut,
                "title": r.title,
                "body": fill_variables(r.body, **values),
                "category": r.category,
                "scope": r.scope,
                "team_id": r.team_id,
            }
        )
    return out
