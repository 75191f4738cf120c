"""The agent workspace 会话: three panes (lists — the conversation — the customer). Routine actions
are htmx posts that answer with the re-rendered conversation and a toast; messages and typing go
over the agent socket (kefu/static/kefu/workspace.js). Every change goes through the services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm, Role
from kefu.conversations import selectors
from kefu.conversations.downloads import attachment_response
from kefu.conversations.email.services import resend_email_reply
from kefu.conversations.models import ConversationState
from kefu.conversations.selectors import (
    access_conversation,
    conversation_list,
    display_name,
    list_counts,
)
from kefu.conversations.services import handoff, lifecycle
from kefu.core import timeline
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.customers.selectors import access_customer, search_customers
from kefu.replies.selectors import usable_replies
from kefu.tickets.models import Ticket
from kefu.tickets.states import Priority, TicketState, TicketType

WORKSPACE_PERMS = (Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY)
LIST_LABELS = {"waiting": gettext_lazy("Waiting"), "mine": gettext_lazy("Mine"), "team": gettext_lazy("My team"),
               "closed": gettext_lazy("Closed")}
# 售前服务流程 (seed 002): each step with the shortcut of the canned reply that serves it.
PRESALES_STEPS = [
    ("welcome", gettext_lazy("Welcome"), "hy"),
    ("promotion", gettext_lazy("Promotion"), "hd"),
    ("product", gettext_lazy("Product introduction"), "bb"),
    ("order", gettext_lazy("Order confirmation"), "dd"),
    ("favourite", gettext_lazy("Favourite the shop"), "sc"),
]
OPEN_TICKET_LIMIT = 10


def _lists(request) -> dict:
    user = request.user
    current = request.GET.get("list") if request.GET.get("list") in selectors.LISTS else "mine"
    counts = list_counts(user)
    return {
        "lists": [{"key": k, "label": LIST_LABELS[k], "count": counts.get(k)} for k in selectors.LISTS],
        "current_list": current,
        "items": list(conversation_list(user, current)[:selectors.LIST_SIZE]),
    }


def _agents():
    return User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR]).select_related("agent_profile").order_by("id")


def _chat_context(request, conversation) -> dict:
    user = request.user
    conversation.visitor.refresh_from_db()
    customer = conversation.customer
    serving = conversation.assignee_id == user.pk
    supervisor = user.has_perm(Perm.ASSIGN_WORK)
    open_ = conversation.state != ConversationState.CLOSED
    context = {
        "conversation": conversation,
        "who": display_name(conversation),
        "chat_messages": selectors.with_mail(
            conversation, selectors.messages_after(conversation, 0, include_internal=True, limit=1000)),
        "may_resend": _may_resend(user, conversation),
        "may_reply": open_ and (serving or supervisor) and user.has_perm(Perm.SERVE_CUSTOMERS),
        "may_note": open_ and (user.has_perm(Perm.SERVE_CUSTOMERS) or supervisor),
        "may_act": open_ and (serving or supervisor),
        "may_handoff": serving or supervisor,
        "supervisor": supervisor,
        "agents": [a for a in _agents() if a.pk != conversation.assignee_id],
        "teams": Team.objects.order_by("name"),
        "ticket_types": TicketType.choices,
        "priorities": Priority.choices,
        "presales_steps": PRESALES_STEPS if conversation.inbox.is_presales else [],
        "customer": customer,
        "timeline": list(timeline.entries_for_customer(customer.pk).order_by("-occurred_at")[:15]) if customer else [],
        "open_tickets": list(Ticket.objects.filter(customer=customer).exclude(state=TicketState.CLOSED).order_by("-id")[:OPEN_TICKET_LIMIT])
        if customer else [],
        "agent_name": str(user),
    }
    return context


def _may_resend(user, conversation) -> bool:
    """Whether to offer "resend" on a failed e-mail reply (email.services.resend_email_reply decides)."""
    if user.has_perm(Perm.ASSIGN_WORK):
        return True
    return conversation.assignee_id == user.pk and selectors.can_serve(user)


def _replies_json(user) -> list[dict]:
    return [{"shortcut": r.shortcut, "title": r.title, "body": r.body, "category": r.category,
             "scope": r.scope, "team": r.team.name if r.team else ""}
            for r in usable_replies(user)[:500]]


def _js_strings() -> dict:
    """What workspace.js shows, translated here (the script has no catalogue of its own)."""
    return {
        "note": _("Internal note"), "system": _("System"), "agent": _("Agent"), "sending": _("Sending…"),
        "not_sent": _("Not sent:"), "typing": _("%(name)s is typing…"), "new_message": _("New message from %(name)s"),
        "assigned": _("Chat #%(id)s is now yours."), "closed": _("Chat #%(id)s has ended."),
        "no_match": _("No canned reply matches. Esc closes this list."), "offline": _("Connection lost: reconnecting…"),
        "title": _("Conversations"),
    }


@require_perm(*WORKSPACE_PERMS)
def workspace(request):
    context = _lists(request)
    conversation = None
    if request.GET.get("c"):
        conversation = access_conversation(actor=request.user, conversation_id=request.GET["c"])
        context.update(_chat_context(request, conversation))
    context["selected"] = conversation
    context["replies"] = _replies_json(request.user)
    context["js_strings"] = _js_strings()
    return render(request, "conversations/workspace.html", context)


@require_perm(*WORKSPACE_PERMS)
def lists(request):
    context = _lists(request)
    context["selected_id"] = int(request.GET["c"]) if request.GET.get("c", "").isdigit() else None
    return render(request, "conversations/_lists.html", context)


@require_perm(*WORKSPACE_PERMS)
def chat(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    if not request.headers.get("HX-Request"):
        return redirect(f"{reverse('conversations:workspace')}?c={conversation.pk}")
    return render(request, "conversations/_chat.html", _chat_context(request, conversation))


def _answer(request, conversation, text: str, *, level: str = "success", reload_lists: bool = True):
    """The re-rendered conversation with a toast (htmx), or back to the workspace with a message."""
    if not request.headers.get("HX-Request"):
        getattr(messages, level)(request, text)
        return redirect(f"{reverse('conversations:workspace')}?c={conversation.pk}")
    try:
        conversation = access_conversation(actor=request.user, conversation_id=conversation.pk)
    except Http404:  # handed to someone this user may not follow
        response = HttpResponse(render(request, "conversations/_empty.html").content)
    else:
        response = render(request, "conversations/_chat.html", _chat_context(request, conversation))
    triggers = {"kefu:toast": {"text": str(text), "level": level}}
    if reload_lists:
        triggers["kefu:lists"] = True
    response["HX-Trigger"] = json.dumps(triggers)
    return response


def _refused(request, conversation, error: DomainError):
    return _answer(request, conversation, error.message, level="error", reload_lists=False)


@require_perm(*WORKSPACE_PERMS)
@require_POST
def transfer(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    target = request.POST.get("target", "")
    to_agent = to_team = None
    if target.startswith("agent:") and target[6:].isdigit():
        to_agent = User.objects.filter(pk=int(target[6:]), is_active=True).first()
    elif target.startswith("team:") and target[5:].isdigit():
        to_team = Team.objects.filter(pk=int(target[5:])).first()
    if to_agent is None and to_team is None:
        return _refused(request, conversation, DomainError(_("Choose an agent or a team to transfer to.")))
    try:
        lifecycle.transfer_conversation(actor=request.user, conversation=conversation, to_agent=to_agent, to_team=to_team,
                                        note=request.POST.get("note", "")[:1000])
    except DomainError as error:
        return _refused(request, conversation, error)
    name = str(to_agent) if to_agent else to_team.name
    return _answer(request, conversation, _("Chat #%(id)s transferred to %(target)s.") % {"id": conversation.pk, "target": name})


@require_perm(*WORKSPACE_PERMS)
@require_POST
def close(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    try:
        lifecycle.close_conversation(conversation=conversation, actor=request.user)
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(request, conversation, _("Chat #%(id)s closed.") % {"id": conversation.pk})


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def assign(request, conversation_id: int):
    """A supervisor takes the chat over (agent=me) or gives it to another agent."""
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    raw = request.POST.get("agent", "")
    agent = request.user if raw == "me" else User.objects.filter(pk=int(raw) if raw.isdigit() else 0, is_active=True).first()
    if agent is None:
        return _refused(request, conversation, DomainError(_("Choose an agent.")))
    try:
        lifecycle.assign_conversation(actor=request.user, conversation=conversation, agent=agent)
    except DomainError as error:
        return _refused(request, conversation, error)
    if agent == request.user:
        text = _("You have taken over chat #%(id)s.") % {"id": conversation.pk}
    else:
        text = _("Chat #%(id)s reassigned to %(agent)s.") % {"id": conversation.pk, "agent": agent}
    return _answer(request, conversation, text)


@require_perm(*WORKSPACE_PERMS)
@require_POST
def make_ticket(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    try:
        ticket = handoff.create_ticket_from_chat(
            actor=request.user, conversation=conversation, type=request.POST.get("type", ""),
            subject=request.POST.get("subject", ""), content=request.POST.get("content", "")[:4000],
            priority=request.POST.get("priority", Priority.NORMAL),
        )
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(request, conversation, _("Ticket %(number)s created from chat #%(id)s.") % {
        "number": ticket.number, "id": conversation.pk})


@require_perm(*WORKSPACE_PERMS)
def customer_search(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    q = request.GET.get("q", "").strip()[:60]
    found = list(search_customers(actor=request.user, q=q)[:8]) if q else []
    return render(request, "conversations/_customer_results.html", {"conversation": conversation, "found": found, "q": q})


@require_perm(*WORKSPACE_PERMS)
@require_POST
def link_customer(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    raw = request.POST.get("customer", "")
    if not raw.isdigit():
        return _refused(request, conversation, DomainError(_("Choose a customer.")))
    customer = access_customer(actor=request.user, customer_id=int(raw), request=request)
    try:
        handoff.link_customer(actor=request.user, conversation=conversation, customer=customer)
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(request, conversation, _("Chat #%(id)s linked to %(customer)s.") % {"id": conversation.pk, "customer": customer.name})


@require_perm(*WORKSPACE_PERMS)
@require_POST
def create_customer(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    try:
        customer, created = handoff.create_customer_from_chat(
            actor=request.user, conversation=conversation, name=request.POST.get("name", "")[:60],
            mobile=request.POST.get("mobile", "")[:20],
        )
    except DomainError as error:
        return _refused(request, conversation, error)
    if created:
        text = _("Customer %(customer)s created and linked to chat #%(id)s.")
    else:
        text = _("This mobile belongs to %(customer)s: chat #%(id)s is linked to that customer.")
    return _answer(request, conversation, text % {"customer": customer.name, "id": conversation.pk})


@require_perm(*WORKSPACE_PERMS)
def message(request, conversation_id: int, message_id: int):
    """One message as the workspace shows it: the script fetches an e-mail's subject, attachments
    and sending state with this when the message arrives or its mail changes."""
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    return render(request, "conversations/_message.html", {
        "m": selectors.conversation_message(conversation, message_id), "who": display_name(conversation),
        "may_resend": _may_resend(request.user, conversation),
    })


@require_perm(*WORKSPACE_PERMS)
def attachment(request, conversation_id: int, attachment_id: int):
    """A file from a customer's e-mail, always downloaded (never shown in the page), with the type
    the upload check found and nosniff: whoever may see the conversation, 404 for anybody else."""
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    return attachment_response(selectors.mail_attachment(conversation, attachment_id))


@require_perm(*WORKSPACE_PERMS)
@require_POST
def resend(request, conversation_id: int, message_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    try:
        resend_email_reply(actor=request.user, conversation=conversation, message_id=message_id)
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(request, conversation, _("The e-mail reply is being sent again."), reload_lists=False)
