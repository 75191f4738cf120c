"""Managers' settings of telephony: the call scripts 通话语术 (one for calls taken, one for calls made,
the return visit's 回访用语 among them). Every change goes through services.save_call_script (audited)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.telephony import script, services
from kefu.telephony.models import CallDirection, CallScript


def _scripts(request, typed: dict | None = None, errors: dict | None = None) -> list[dict]:
    stored = {s.direction: s for s in CallScript.objects.select_related("updated_by")}
    typed, errors = typed or {}, errors or {}
    return [
        {
            "direction": direction,
            "label": label,
            "text": typed.get(direction, stored[direction].text if direction in stored else ""),
            "stored": stored.get(direction),
            "error": errors.get(direction, ""),
            "preview": script.script_for(direction=direction, agent=request.user),
        }
        for direction, label in CallDirection.choices
    ]


@require_perm(Perm.MANAGE_SETTINGS)
def script_settings(request):
    return render(
        request,
        "telephony/script_settings.html",
        {"scripts": _scripts(request), "variables": script.VARIABLES},
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def script_save(request, direction: str):
    if direction not in CallDirection.values:
        raise Http404
    text = request.POST.get("text", "")
    try:
        services.save_call_script(
            actor=request.user, direction=direction, text=text, request=request
        )
    except DomainError as refusal:  # the text stays as typed, with the reason beside it
        return render(
            request,
            "telephony/script_settings.html",
            {
                "scripts": _scripts(request, {direction: text}, {direction: refusal.message}),
                "variables": script.VARIABLES,
            },
            status=400,
        )
    messages.success(request, _("Call script saved."))
    return redirect("telephony_settings:scripts")


app_name = "telephony_settings"
urlpatterns = [
    path("", script_settings, name="scripts"),
    path("<slug:direction>/", script_save, name="save"),
]
