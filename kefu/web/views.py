"""Pages of the application shell: the workbench, settings index, business calendar, health, errors."""

import asyncio
import datetime as dt
import logging
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from huey.contrib.djhuey import HUEY

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, AuditEntry, Presence
from kefu.accounts.roles import Perm
from kefu.core import worker
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.decorators import require_perm
from kefu.core.forms import CalendarDayForm
from kefu.core.models import CalendarDay
from kefu.web import services
from kefu.web.navigation import settings_sections_for
from kefu.web.workbench import cards_for

logger = logging.getLogger(__name__)


@login_required
def home(request):
    from kefu.accounts.models import AgentProfile

    context = {"presence_choices": Presence.choices}
    if request.user.has_perm(Perm.ASSIGN_WORK):
        counts = dict.fromkeys(Presence.values, 0)
        for presence in AgentProfile.objects.filter(user__is_active=True).values_list(
            "presence", flat=True
        ):
            counts[presence] += 1
        context["presence_counts"] = [
            (value, label, counts[value]) for value, label in Presence.choices
        ]
    if request.user.has_perm(Perm.VIEW_AUDIT_LOG):
        context["recent_audit"] = AuditEntry.objects.select_related("actor")[:8]
    calendar = BusinessCalendar()
    today = timezone.localdate()
    context["today_is_working_day"] = calendar.is_working_day(today)
    context["today_name"] = calendar.day_name(today)
    context["cards"] = cards_for(request)
    return render(request, "web/home.html", context)


@login_required
def settings_index(request):
    """The settings sections the installed apps declare (SETTINGS in their navigation.py)."""
    visible = settings_sections_for(request.user)
    if not visible:
        raise PermissionDenied
    return render(request, "web/settings.html", {"sections": visible})


@require_perm(Perm.MANAGE_SETTINGS)
def calendar_view(request):
    try:
        year = int(request.GET.get("year", timezone.localdate().year))
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), 2100)
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        day = services.set_calendar_day(actor=request.user, request=request, **form.cleaned_data)
        messages.success(
            request,
            _("Saved: %(date)s is now “%(kind)s”.")
            % {"date": day.date, "kind": day.get_kind_display()},
        )
        return redirect(f"{request.path}?year={day.date.year}")
    calendar = BusinessCalendar()
    statutory = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        name = calendar.day_name(day)
        weekend = day.weekday() >= 5
        working = calendar.is_working_day(day)
        if name or (weekend and working):
            statutory.append({"date": day, "name": name, "working": working})
        day += dt.timedelta(days=1)
    return render(
        request,
        "web/calendar.html",
        {
            "form": form,
            "year": year,
            "overrides": CalendarDay.objects.filter(date__year=year),
            "days": statutory,
        },
    )


@require_perm(Perm.MANAGE_SETTINGS)
@require_POST
def calendar_day_delete(request, day_id: int):
    day = CalendarDay.objects.filter(pk=day_id).first()
    if day is None:
        raise Http404
    services.remove_calendar_day(actor=request.user, day=day, request=request)
    messages.success(request, _("Removed the entry for %(date)s.") % {"date": day.date})
    return redirect(f"{reverse('core:calendar')}?year={day.date.year}")


# --- health -----------------------------------------------------------------------------------


def _database_state() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"state": "down", "engine": connection.vendor, "error": type(exc).__name__}
    return {"state": "ok", "engine": connection.vendor}


async def _channel_layer_state() -> dict:
    layer = get_channel_layer()
    backend = type(layer).__name__
    try:
        reachable = getattr(layer, "reachable", None)  # the Redis layer has it
        if reachable is not None:
            # Every Redis shard answers a PING. A subscribe/publish round trip per probe left its
            # subscription behind whenever the cancelled receive's unsubscribe lost a race with the
            # layer's reader (seen in CI), and monitoring probes every few seconds for months.
            if await reachable(timeout=2):
                return {"state": "ok", "backend": backend}
            return {"state": "down", "backend": backend, "error": "unreachable"}
        channel = await layer.new_channel("healthz.")
        marker = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz.ping", "marker": marker})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        if message.get("marker") != marker:
            return {"state": "down", "backend": backend, "error": "wrong message"}
    except Exception as exc:
        return {"state": "down", "backend": backend, "error": type(exc).__name__}
    return {"state": "ok", "backend": backend}


async def healthz(request):
    """Fixed point for monitoring: 200 when database, channel layer and worker are ok, else 503."""
    checks = {
        "database": await sync_to_async(_database_state)(),
        "channel_layer": await _channel_layer_state(),
        "worker": await sync_to_async(worker.worker_state)(HUEY),
    }
    healthy = all(c["state"] == "ok" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503
    )


# --- errors -----------------------------------------------------------------------------------


def permission_denied(request, exception=None):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        audit(
            AuditAction.ACCESS_DENIED,
            actor=user,
            request=request,
            object_type="url",
            object_repr=request.path[:200],
        )
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def csrf_failure(request, reason=""):
    """A form sent from an expired page (CSRF check failed): say so in Chinese, keep no trace."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    # No context processors and no database: this page must render when everything else fails.
    return HttpResponse(loader.get_template("500.html").render({}), status=500)
