"""Canned replies 快捷短语: agents keep their personal ones, supervisors the team and everyone's."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.replies import selectors, services
from kefu.replies.forms import ReplyForm, scope_of
from kefu.replies.models import ReplyCategory


@require_perm(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK)
def reply_list(request):
    replies = list(selectors.usable_replies(request.user).select_related("owner"))
    category = request.GET.get("category", "")
    if category in ReplyCategory.values:
        replies = [r for r in replies if r.category == category]
    for reply in replies:
        reply.manageable = selectors.may_manage(request.user, reply)
    return render(
        request,
        "replies/list.html",
        {
            "replies": replies,
            "categories": ReplyCategory.choices,
            "category": category,
            "form": ReplyForm(user=request.user, initial={"scope": "personal"}),
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK)
def reply_edit(request, reply_id: int | None = None):
    reply = selectors.access_reply(actor=request.user, reply_id=reply_id) if reply_id else None
    initial = (
        {
            "scope": scope_of(reply),
            "shortcut": reply.shortcut,
            "title": reply.title,
            "category": reply.category,
            "body": reply.body,
        }
        if reply
        else {"scope": "personal"}
    )
    form = ReplyForm(request.POST or None, user=request.user, editing=reply, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if reply is None:
                personal, team = form.scope_values()
                saved = services.create_reply(
                    actor=request.user,
                    personal=personal,
                    team=team,
                    shortcut=data["shortcut"],
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                )
            else:
                saved = services.update_reply(
                    actor=request.user,
                    reply=reply,
                    shortcut=data["shortcut"],
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request, _("Canned reply /%(shortcut)s saved.") % {"shortcut": saved.shortcut}
            )
            return redirect("replies:list")
    return render(request, "replies/form.html", {"form": form, "reply": reply})


@require_perm(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK)
@require_POST
def reply_delete(request, reply_id: int):
    reply = selectors.access_reply(actor=request.user, reply_id=reply_id)
    try:
        services.delete_reply(actor=request.user, reply=reply)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("Canned reply /%(shortcut)s deleted.") % {"shortcut": reply.shortcut}
        )
    return redirect("replies:list")


app_name = "replies"
urlpatterns = [
    path("", reply_list, name="list"),
    path("new/", reply_edit, name="create"),
    path("<int:reply_id>/", reply_edit, name="edit"),
    path("<int:reply_id>/delete/", reply_delete, name="delete"),
]
