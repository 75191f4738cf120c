"""The order import's writing as a Huey task (a file of 100,000 rows takes minutes, not a request)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kefu.accounts.models import User
from kefu.orders.models import ImportStatus, OrderImport

logger = logging.getLogger(__name__)


@db_task()
def import_orders_task(job_id: int, actor_id: int, language: str = "") -> None:
    from kefu.orders.services.importing import run_order_import

    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            run_order_import(job_id=job_id, actor=User.objects.get(pk=actor_id))
        except Exception:
            logger.exception("order import %s failed", job_id)
            OrderImport.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).update(
                status=ImportStatus.FAILED,
                message=_(
                    "The import failed; nothing was written. Try again or ask an administrator."
                ),
            )
