"""Background work of the customer archive: the daily backup (客户数据定期备份) and imports."""

import logging
import os

from django.db import connection
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.core.backup import create_backup, prune_backups
from kefu.customers.services.transfer import tasks as transfer_tasks  # noqa: F401  (registers the import tasks)

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="30", hour="18"))  # Huey counts in UTC: 02:30 in Asia/Shanghai
def back_up_daily() -> None:
    """Every night at 02:30 Beijing time: a backup of the whole database, keeping KEFU_BACKUP_KEEP_DAYS (14) days."""
    path = create_backup()
    removed = prune_backups(keep_days=int(os.environ.get("KEFU_BACKUP_KEEP_DAYS", "14")))
    logger.info("daily backup written to %s; %d old backups removed", path, removed)


@db_periodic_task(crontab(minute="45", hour="18"))  # 02:45 in Asia/Shanghai, after the backup
def refresh_planner_statistics() -> None:
    """SQLite gathers no statistics by itself; without them searches by tag or name pick slow plans
    (bench/README.md). PostgreSQL's autovacuum does this on its own."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "PRAGMA optimize=0x10002"
            )  # analyse what needs it, also tables never analysed


@db_periodic_task(crontab(minute="*/15"))
def remind_overdue_contacts() -> None:
    """Every quarter of an hour: owners hear about customers whose seven-day contact is overdue."""
    from kefu.customers.services.assignment import remind_overdue_contacts as remind

    reminded = remind()
    if reminded:
        logger.info("seven-day rule: %d overdue customers reminded to their owners", reminded)
