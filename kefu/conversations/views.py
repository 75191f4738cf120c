"""The agent workspace 会话: three panes (lists — the conversation — the customer). Routine actions
are htmx posts that answer with the re-rendered conversation and a toast; messages and typing go
over the agent socket (kefu/static/kefu/workspace.js). Every change goes through the services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.conversations import selectors
from kefu.conversations.downloads import attachment_response
from kefu.conversations.email.services import resend_email_reply
from kefu.conversations.models import ConversationState, PresalesStep
from kefu.conversations.selectors import (
    access_conversation,
    display_name,
    list_counts,
)
from kefu.conversations.services import handoff, lifecycle, presales
from kefu.conversations.services.messages import check_agent_may_send
from kefu.conversations.states import CONVERSATION_FLOW, agent_refusal, serving_or_supervisor
from kefu.core import search, timeline
from kefu.core.decorators import require_perm
from kefu.core.errors import Conflict, DomainError, NotFound, PermissionRefused
from kefu.customers.selectors import access_customer, search_customers
from kefu.replies.selectors import team_ids_of, usable_replies
from kefu.tickets.models import Ticket
from kefu.tickets.states import Priority, TicketState, TicketType

WORKSPACE_PERMS = (Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY)
LIST_LABELS = {
    "waiting": gettext_lazy("Waiting"),
    "mine": gettext_lazy("Mine"),
    "team": gettext_lazy("My team"),
    "closed": gettext_lazy("Closed"),
}
# 售前服务流程 (seed 002): each step with the shortcut of the canned reply that serves it.
PRESALES_SHORTCUTS = {
    PresalesStep.WELCOME: "hy",
    PresalesStep.PROMOTION: "hd",
    PresalesStep.PRODUCT: "bb",
    PresalesStep.ORDER: "dd",
    PresalesStep.FAVOURITE: "sc",
}
OPEN_TICKET_LIMIT = 10


def _lists(request) -> dict:
    user = request.user
    current = request.GET.get("list") if request.GET.get("list") in selectors.LISTS else "mine"
    counts = list_counts(user)
    q = search.clean_query(request.GET.get("q", ""))[:200]  # search reads no more
    items = selectors.conversation_page(user, name=current, q=q, fields=selectors.ROW_FIELDS).items
    selected_id = int(request.GET["c"]) if request.GET.get("c", "").isdigit() else None
    return {
        "lists": [
            {"key": k, "label": LIST_LABELS[k], "count": counts.get(k)} for k in selectors.LISTS
        ],
        "current_list": current,
        "q": q,
        "items": items,
        "rows": conversation_rows_html(items, current, selected_id),
    }


def conversation_rows_html(items: list, current_list: str, selected_id: int | None) -> SafeString:
    """The lists' rows (up to LIST_SIZE, 100) as one escaped fragment, built in one pass: 100
    iterations of the template language (a URL, three date filters, a translation per row) cost
    the workspace 60–100 ms of CPU at 1,000,000 chats (bench/README.md, pages). Every value goes
    through format_html, escaped as the template did."""
    states = dict(ConversationState.choices)
    prefix = reverse("conversations:workspace")
    tz = timezone.get_current_timezone()
    mine = current_list == "mine"
    parts = []
    for c in items:
        if c.customer is not None:
            name = c.customer.name
        elif c.visitor.name:
            name = c.visitor.name
        else:
            name = _("Visitor #%(id)s") % {"id": c.visitor_id}
        when = (c.last_activity_at or c.created_at).astimezone(tz)
        parts.append(
            format_html(
                '<a class="list-group-item list-group-item-action kefu-conv{active}" '
                'href="?c={pk}&list={current}" hx-get="{prefix}{pk}/" hx-target="#chat" '
                'hx-push-url="?c={pk}&list={current}" data-id="{pk}" data-last-seq="{seq}" '
                'data-testid="conversation-{pk}">\n'
                '<div class="d-flex align-items-center gap-1">'
                '<strong class="text-truncate flex-fill">{name}</strong>'
                '<span class="badge bg-red d-none kefu-unread" data-testid="unread-{pk}"></span>'
                '<time class="small text-secondary text-nowrap" datetime="{iso}" title="{title}">'
                "{hm}</time></div>\n"
                '<div class="small text-secondary text-truncate">{body}</div>\n'
                '<div class="small text-secondary d-flex gap-1 align-items-center">'
                '<span class="badge kefu-state-{state}">{state_label}</span>'
                '<span class="text-truncate">{inbox}{agent}</span></div>\n</a>\n',
                active=" active" if c.pk == selected_id else "",
                pk=c.pk,
                current=current_list,
                prefix=prefix,
                seq=c.last_seq,
                name=name,
                iso=when.isoformat(),
                title=f"{when:%Y-%m-%d %H:%M}",
                hm=f"{when:%H:%M}",
                body=c.last_body or "—",
                state=c.state,
                state_label=states.get(c.state, c.state),
                inbox=c.inbox.name,
                agent=f" · {c.assignee}" if c.assignee_id and not mine else "",
            )
        )
    return mark_safe("".join(parts))  # noqa: S308  (each part is format_html's, escaped)


def _chat_context(request, conversation) -> dict:
    """The conversation pane. What the user may do is asked of the transition table (states.py),
    the same guards the services check; whom a chat may go to, of agent_refusal()."""
    user = request.user
    conversation.visitor.refresh_from_db()
    customer = conversation.customer
    state = conversation.state

    def may(name: str) -> bool:
        return CONVERSATION_FLOW.may(state, name, actor=user, obj=conversation)

    waiting = state == ConversationState.WAITING
    may_transfer = may("assign") if waiting else may("transfer")
    may_reassign = may("assign") if waiting else may("reassign")
    offered = selectors.available_agents(conversation) if (may_transfer or may_reassign) else []
    ticks = presales.ticks_of(conversation) if conversation.inbox.is_presales else {}
    context = {
        "conversation": conversation,
        "who": display_name(conversation),
        "header_name": selectors.header_name(conversation),
        "chat_messages": selectors.with_mail(
            conversation,
            selectors.messages_after(conversation, 0, include_internal=True, limit=1000),
        ),
        "may_resend": _may_resend(user, conversation),
        "may_reply": may("reply"),
        "may_note": may("note"),
        "may_transfer": may_transfer,
        "may_requeue": may("requeue"),
        "may_reassign": may_reassign,
        "may_take_over": may("take_over")
        and agent_refusal(conversation, user, emergency=True) is None,
        "may_close": may("close"),
        "may_handoff": may("hand_off"),
        "may_tick": may("tick"),
        "agents": offered,
        "teams": Team.objects.order_by("name"),
        "ticket_types": TicketType.choices,
        "priorities": Priority.choices,
        "presales_steps": [
            {
                "key": step.value,
                "label": step.label,
                "shortcut": PRESALES_SHORTCUTS[step],
                "tick": ticks.get(step.value),
            }
            for step in PresalesStep
        ]
        if conversation.inbox.is_presales
        else [],
        "customer": customer,
        "timeline": list(timeline.entries_for_customer(customer.pk).order_by("-occurred_at")[:15])
        if customer
        else [],
        "open_tickets": list(
            Ticket.objects.filter(customer=customer)
            .exclude(state=TicketState.CLOSED)
            .order_by("-id")[:OPEN_TICKET_LIMIT]
        )
        if customer
        else [],
        "agent_name": str(user),
    }
    return context


def _may_resend(user, conversation) -> bool:
    """Whether to offer "resend" on a failed e-mail reply (email.services.resend_email_reply asks
    the same guard)."""
    return serving_or_supervisor(user, conversation) is None


def _replies_json(user) -> list[dict]:
    return [
        {
            "shortcut": r.shortcut,
            "title": r.title,
            "body": r.body,
            "category": r.category,
            "scope": r.scope,
            "team": r.team.name if r.team else "",
            "team_id": r.team_id,
        }
        for r in usable_replies(user)[:500]
    ]


def _js_strings() -> dict:
    """What workspace.js shows, translated here (the script has no catalogue of its own)."""
    return {
        "note": _("Internal note"),
        "system": _("System"),
        "agent": _("Agent"),
        "sending": _("Sending…"),
        "not_sent": _("Not sent:"),
        "typing": _("%(name)s is typing…"),
        "new_message": _("New message from %(name)s"),
        "assigned": _("Chat #%(id)s is now yours."),
        "closed": _("Chat #%(id)s has ended."),
        "no_match": _("No canned reply matches. Esc closes this list."),
        "handed_over": _("Chat #%(id)s has been transferred to %(name)s."),
        "offline": _("Connection lost: reconnecting…"),
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
    context["team_ids"] = team_ids_of(request.user)
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


def _answer(
    request,
    conversation,
    text: str,
    *,
    level: str = "success",
    reload_lists: bool = True,
    status: int = 200,
):
    """The re-rendered conversation with a toast (htmx), or back to the workspace with a message.
    A conversation this user may no longer see (handed to someone outside their teams) leaves the
    line saying what happened in its place."""
    if not request.headers.get("HX-Request"):
        getattr(messages, level)(request, text)
        if status != 200:
            return redirect(reverse("conversations:workspace"))
        return redirect(f"{reverse('conversations:workspace')}?c={conversation.pk}")
    try:
        conversation = access_conversation(actor=request.user, conversation_id=conversation.pk)
    except Http404:  # handed to someone this user may not follow
        response = render(
            request,
            "conversations/_handed_over.html",
            {"conversation": conversation, "text": text},
            status=status,
        )
    else:
        response = render(
            request,
            "conversations/_chat.html",
            _chat_context(request, conversation),
            status=status,
        )
    triggers: dict[str, object] = {"kefu:toast": {"text": str(text), "level": level}}
    if reload_lists:
        triggers["kefu:lists"] = True
    response["HX-Trigger"] = json.dumps(triggers)
    return response


def _refused(request, conversation, error: DomainError):
    """A refusal as a toast over the conversation as it now is; a lost race answers 409 (the
    workspace script swaps it in like any answer), the pane then showing who holds the chat. A
    refusal by role answers 403 (docs/access.md): htmx still shows the toast; a plain form post
    gets the 403 page with the reason."""
    if isinstance(error, NotFound):  # as for any id the user may not know of
        raise Http404
    if isinstance(error, Conflict):
        return _answer(request, conversation, error.message, level="error", status=409)
    if isinstance(error, PermissionRefused):
        if not request.headers.get("HX-Request"):
            raise error
        return _answer(
            request, conversation, error.message, level="error", reload_lists=False, status=403
        )
    return _answer(request, conversation, error.message, level="error", reload_lists=False)


def _version(request) -> int | None:
    """The conversation version the page showed (a hidden field); None when absent."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


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
        return _refused(
            request, conversation, DomainError(_("Choose an agent or a team to transfer to."))
        )
    try:
        lifecycle.transfer_conversation(
            actor=request.user,
            conversation=conversation,
            to_agent=to_agent,
            to_team=to_team,
            note=request.POST.get("note", "")[:1000],
            expected_version=_version(request),
        )
    except DomainError as error:
        return _refused(request, conversation, error)
    name = str(to_agent or to_team)
    return _answer(
        request,
        conversation,
        _("Chat #%(id)s transferred to %(target)s.") % {"id": conversation.pk, "target": name},
    )


@require_perm(*WORKSPACE_PERMS)
@require_POST
def close(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    try:
        lifecycle.close_conversation(conversation=conversation, actor=request.user)
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(request, conversation, _("Chat #%(id)s closed.") % {"id": conversation.pk})


@require_perm(Perm.ASSIGN_WORK, Perm.HANDLE_EMERGENCY)
@require_POST
def assign(request, conversation_id: int):
    """A supervisor takes the chat over (agent=me: 紧急事件处理) or gives it to another agent (调配);
    the table's guards decide which of the two the user may do."""
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    raw = request.POST.get("agent", "")
    agent = (
        request.user
        if raw == "me"
        else User.objects.filter(pk=int(raw) if raw.isdigit() else 0, is_active=True).first()
    )
    if agent is None:
        return _refused(request, conversation, DomainError(_("Choose an agent.")))
    try:
        lifecycle.assign_conversation(
            actor=request.user,
            conversation=conversation,
            agent=agent,
            expected_version=_version(request),
            request=request,
        )
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
            actor=request.user,
            conversation=conversation,
            type=request.POST.get("type", ""),
            subject=request.POST.get("subject", ""),
            content=request.POST.get("content", "")[:4000],
            priority=request.POST.get("priority", Priority.NORMAL),
        )
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(
        request,
        conversation,
        _("Ticket %(number)s created from chat #%(id)s.")
        % {"number": ticket.number, "id": conversation.pk},
    )


@require_perm(*WORKSPACE_PERMS)
def customer_search(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    q = request.GET.get("q", "").strip()[:60]
    found = list(search_customers(actor=request.user, q=q)[:8]) if q else []
    return render(
        request,
        "conversations/_customer_results.html",
        {"conversation": conversation, "found": found, "q": q},
    )


@require_perm(*WORKSPACE_PERMS)
@require_POST
def link_customer(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    raw = request.POST.get("customer", "")
    try:  # who may write here first: an inspector is refused (403), not told the customer is missing
        check_agent_may_send(actor=request.user)
    except DomainError as error:
        return _refused(request, conversation, error)
    if not raw.isdigit():
        return _refused(request, conversation, DomainError(_("Choose a customer.")))
    customer = access_customer(actor=request.user, customer_id=int(raw), request=request)
    try:
        handoff.link_customer(actor=request.user, conversation=conversation, customer=customer)
    except DomainError as error:
        return _refused(request, conversation, error)
    return _answer(
        request,
        conversation,
        _("Chat #%(id)s linked to %(customer)s.")
        % {"id": conversation.pk, "customer": customer.name},
    )


@require_perm(*WORKSPACE_PERMS)
@require_POST
def create_customer(request, conversation_id: int):
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    try:
        customer, created = handoff.create_customer_from_chat(
            actor=request.user,
            conversation=conversation,
            name=request.POST.get("name", "")[:60],
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
    return render(
        request,
        "conversations/_message.html",
        {
            "m": selectors.conversation_message(conversation, message_id),
            "who": display_name(conversation),
            "may_resend": _may_resend(request.user, conversation),
        },
    )


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
    return _answer(
        request, conversation, _("The e-mail reply is being sent again."), reload_lists=False
    )


@require_perm(*WORKSPACE_PERMS)
@require_POST
def presales_step(request, conversation_id: int):
    """Tick or untick one step of the pre-sales checklist (the box, or the canned reply that serves
    it, in workspace.js). Answers JSON: the step as stored, or the refusal."""
    conversation = access_conversation(actor=request.user, conversation_id=conversation_id)
    step = request.POST.get("step", "")
    done = request.POST.get("done", "1") != "0"
    try:
        tick = presales.set_presales_step(
            actor=request.user, conversation=conversation, step=step, done=done
        )
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse(
        {
            "step": step,
            "done": tick is not None,
            "done_by": str(tick.done_by) if tick and tick.done_by else "",
            "done_at": tick.done_at.isoformat() if tick else None,
        }
    )
