"""Sending and reading notifications. Every other app notifies through `notify` only."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from kefu.accounts.masking import mask_text
from kefu.accounts.models import User
from kefu.core.events import emit
from kefu.notifications.events import NotificationCreated
from kefu.notifications.models import Notification

logger = logging.getLogger(__name__)


def notify(
    *,
    recipient_ids: Iterable[int | None],
    kind: str,
    title: str,
    link: str = "",
    exclude_id: int | None = None,
) -> list[Notification]:
    """One notification per active recipient (nobody twice, never the person who caused it), pushed
    live to their open pages (NotificationCreated, after commit) and e-mailed to those with an
    address. The title is stored as each recipient may read it: phone and ID numbers in it are
    masked for those without the reveal right (a ticket's subject is free text)."""
    ids = {i for i in recipient_ids if i is not None and i != exclude_id}
    recipients = list(User.objects.filter(pk__in=ids, is_active=True).order_by("id"))
    if not recipients:
        return []
    titles = {user.pk: mask_text(title, viewer=user)[:200] for user in recipients}
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            Notification(recipient=user, kind=kind, title=titles[user.pk], link=link[:200])
            for user in recipients
        )
        for user, notification in zip(recipients, created, strict=True):
            emit(
                NotificationCreated(
                    notification_id=notification.pk,
                    recipient_id=user.pk,
                    title=notification.title,
                    link=notification.link,
                    unread=unread_count(user),
                )
            )
    for user in recipients:
        if user.email:
            _send_email(user, titles[user.pk], link)
    return created


def _send_email(user: User, title: str, link: str) -> None:
    body = title if not link else f"{title}\n\n{settings.KEFU_BASE_URL.rstrip('/')}{link}"
    try:
        send_mail(
            subject=f"[kefu] {title}", message=body, from_email=None, recipient_list=[user.email]
        )
    except (
        Exception
    ):  # the in-app notification is the record; a mail server that is down must not stop it
        logger.exception("notification e-mail to user %s failed", user.pk)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them when no id is given)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
