"""The user's notifications: the list, and opening one (marks it read, goes to what it is about)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from kefu.core.pagination import keyset_page
from kefu.notifications import services
from kefu.notifications.models import Notification


@login_required
def inbox(request):
    qs = Notification.objects.filter(recipient=request.user).order_by("-id")
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def open_notification(request, notification_id: int):
    notification = Notification.objects.filter(recipient=request.user, pk=notification_id).first()
    if notification is None:  # someone else's, or gone: nothing to open
        return redirect("notifications:list")
    services.mark_read(user=request.user, notification_id=notification.pk)
    local = notification.link.startswith("/") and not notification.link.startswith("//")
    return redirect(notification.link if local else "/")


@login_required
@require_POST
def read_all(request):
    services.mark_read(user=request.user)
    return redirect("notifications:list")


app_name = "notifications"
urlpatterns = [
    path("", inbox, name="list"),
    path("<int:notification_id>/open/", open_notification, name="open"),
    path("read-all/", read_all, name="read_all"),
]
