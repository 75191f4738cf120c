"""Conversations API, agent side: the workspace's lists, a conversation with its messages after a
sequence number, a reply or internal note with an idempotency key, transfer, take over / reassign,
close; an e-mail's attachments and resending a failed e-mail reply. The same selectors and
services as the workspace and the agent socket."""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from kefu.accounts.masking import mask_text
from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.conversations import selectors
from kefu.conversations.downloads import attachment_response
from kefu.conversations.email.services import resend_email_reply
from kefu.conversations.models import Conversation
from kefu.conversations.schemas import (
    AssignIn,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    MessageIn,
    MessageOut,
    TransferIn,
)
from kefu.conversations.services import lifecycle
from kefu.conversations.services.messages import send_agent_message
from kefu.core import search
from kefu.core.errors import DomainError

router = Router(tags=["conversations"])
MAX_ID = 2**31 - 1


def _may_use(user) -> None:
    if not (user.has_perm(Perm.SERVE_CUSTOMERS) or user.has_perm(Perm.INSPECT_QUALITY)):
        raise PermissionDenied


def conversation_out(c: Conversation) -> dict:
    return {
        "id": c.pk,
        "state": c.state,
        "state_label": c.get_state_display(),
        "inbox_id": c.inbox_id,
        "inbox": c.inbox.name,
        "name": selectors.display_name(c),
        "customer_id": c.customer_id,
        "assignee_id": c.assignee_id,
        "team_id": c.team_id,
        "last_seq": c.last_seq,
        "created_at": c.created_at,
        "last_activity_at": c.last_activity_at,
        "closed_at": c.closed_at,
        "close_reason": c.close_reason,
        "rating": c.rating,
        "version": c.version,
    }


def _load(request, conversation_id: int) -> Conversation:
    _may_use(request.user)
    conversation = selectors.access_conversation(
        actor=request.user, conversation_id=conversation_id
    )
    return Conversation.objects.select_related("inbox", "visitor", "customer").get(
        pk=conversation.pk
    )


@router.get(
    "/conversations",
    response=ConversationPage,
    summary="List conversations: view = waiting, mine, team or closed (the workspace's lists); "
    "q = words of the messages or a name, searched in every list, newest first, paged with cursor",
)
def list_conversations(request, view: str = "mine", q: str = "", limit: int = 50, cursor: str = ""):
    _may_use(request.user)
    if view not in selectors.LISTS:
        raise DomainError(_("Unknown list: choose waiting, mine, team or closed."))
    limit = max(1, min(limit, selectors.LIST_SIZE))
    page = selectors.conversation_page(
        request.user, name=view, q=search.clean_query(q), cursor=cursor or None, size=limit
    )
    return {"items": [conversation_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/conversations/{conversation_id}",
    response=ConversationDetail,
    summary="One conversation with its messages after sequence number `after` (0: from the start)",
)
def get_conversation(request, conversation_id: int, after: int = 0):
    conversation = _load(request, conversation_id)
    messages = selectors.with_mail(
        conversation,
        selectors.messages_after(conversation, max(0, min(after, MAX_ID)), include_internal=True),
    )

    def url(attachment) -> str:
        return reverse("api:conversation_attachment", args=[conversation.pk, attachment.pk])

    return {
        **conversation_out(conversation),
        "messages": [
            {
                **selectors.message_payload(m),
                # what people typed, with phone and ID numbers masked for callers without the
                # reveal right (kefu.accounts.masking.mask_text, as on the pages and sockets)
                "body": mask_text(m.body, viewer=request.user),
                "email": selectors.mail_payload(m, url),
            }
            for m in messages
        ],
    }


@router.get(
    "/conversations/{conversation_id}/attachments/{attachment_id}",
    url_name="conversation_attachment",
    summary="Download a file kept from the customer's e-mail",
    response={200: None},
)
def attachment(request, conversation_id: int, attachment_id: int):
    conversation = _load(request, conversation_id)
    return attachment_response(selectors.mail_attachment(conversation, min(attachment_id, MAX_ID)))


@router.post(
    "/conversations/{conversation_id}/messages/{message_id}/resend",
    response=MessageOut,
    summary="Send an e-mail reply that could not be sent again (the serving agent or a supervisor)",
)
def resend(request, conversation_id: int, message_id: int):
    conversation = _load(request, conversation_id)
    record = resend_email_reply(
        actor=request.user, conversation=conversation, message_id=min(message_id, MAX_ID)
    )
    assert record.message is not None  # a resent reply is an agent's message
    return selectors.message_payload(record.message)


@router.post(
    "/conversations/{conversation_id}/messages",
    response={200: MessageOut, 201: MessageOut},
    summary="Reply to the customer, or add an internal note (internal=true); the same key returns the same message",
)
def post_message(request, conversation_id: int, body: MessageIn):
    conversation = _load(request, conversation_id)
    before = conversation.last_seq
    message = send_agent_message(
        actor=request.user,
        conversation=conversation,
        body=body.body,
        client_key=body.key,
        is_internal=body.internal,
    )
    return Status(201 if message.seq > before else 200, selectors.message_payload(message))


@router.post(
    "/conversations/{conversation_id}/transfer",
    response=ConversationOut,
    summary="Transfer to an agent (agent_id) or back to a team's queue (team_id), with a note for agents",
)
def transfer(request, conversation_id: int, body: TransferIn):
    conversation = _load(request, conversation_id)
    to_agent = (
        User.objects.filter(pk=body.agent_id, is_active=True).first() if body.agent_id else None
    )
    to_team = Team.objects.filter(pk=body.team_id).first() if body.team_id else None
    if (body.agent_id and to_agent is None) or (body.team_id and to_team is None):
        raise DomainError(_("This agent or team does not exist."))
    lifecycle.transfer_conversation(
        actor=request.user,
        conversation=conversation,
        to_agent=to_agent,
        to_team=to_team,
        note=body.note,
        expected_version=body.version,
    )
    return conversation_out(conversation)


@router.post(
    "/conversations/{conversation_id}/assign",
    response=ConversationOut,
    summary="Supervisors: take the conversation over (your own id; beyond your chat limit and the queue) or reassign it to an agent online with room; audited. A stale version answers 409 with the current state",
)
def assign(request, conversation_id: int, body: AssignIn):
    conversation = _load(request, conversation_id)
    agent = User.objects.filter(pk=body.agent_id, is_active=True).first()
    if agent is None:
        raise DomainError(_("This agent or team does not exist."))
    lifecycle.assign_conversation(
        actor=request.user,
        conversation=conversation,
        agent=agent,
        expected_version=body.version,
        request=request,
    )
    return conversation_out(conversation)


@router.post(
    "/conversations/{conversation_id}/close",
    response=ConversationOut,
    summary="Close the conversation",
)
def close(request, conversation_id: int):
    conversation = _load(request, conversation_id)
    lifecycle.close_conversation(conversation=conversation, actor=request.user)
    return conversation_out(conversation)
