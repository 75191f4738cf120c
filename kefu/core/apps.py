from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kefu.core import events, search, tasks  # tasks: registers the core's Huey tasks

        events.set_task_sender(tasks.deliver_event)
        search.load()  # jieba's dictionary once per process, not on the first search
        post_migrate.connect(_fill_new_search_indexes, sender=self)
        from django.db.models.signals import post_delete, post_save

        from kefu.core.business_calendar import OVERRIDES
        from kefu.core.models import CalendarDay

        for signal in (post_save, post_delete):
            signal.connect(OVERRIDES.changed, sender=CalendarDay, dispatch_uid=f"calendar-{signal}")


def _fill_new_search_indexes(*, using: str = "default", verbosity: int = 1, **kwargs: Any) -> None:
    """A kind whose documents table is still empty while its objects exist (its first migrate on
    an install with data) is filled now, so search works right after the upgrade."""
    from django.db import connections

    from kefu.core import search

    present = set(connections[using].introspection.table_names())
    for kind in search.kinds():
        tables = {kind.documents._meta.db_table, kind.model._meta.db_table}
        if not tables <= present:  # a migrate backwards left this kind's tables out
            continue
        if kind.documents._default_manager.using(using).exists():
            continue
        if not kind.model._default_manager.using(using).exists():
            continue
        written = search.rebuild(kind)
        if verbosity:
            print(f"  Search index {kind.name}: {written:,} documents written.")
