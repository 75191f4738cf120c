"""Background work of exports: building a large export, and deleting old export files."""

import datetime as dt

from django.conf import settings
from django.utils import timezone, translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.exports.building import build_export_job, expire_exports

KEEP_HOURS = 72  # an export file is kept this long for its owner, then deleted


@db_task()
def build_export_task(job_id: int, language: str = "") -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        build_export_job(job_id=job_id)


@db_periodic_task(crontab(minute="15"))
def expire_old_exports() -> None:
    """Every hour: files of exports older than KEEP_HOURS are deleted (personal data does not
    linger on the server); the job stays, marked expired."""
    expire_exports(older_than=timezone.now() - dt.timedelta(hours=KEEP_HOURS))
