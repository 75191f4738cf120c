from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kefu.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from kefu.reports import exports  # noqa: F401  (registers the export kinds)

        pre_migrate.connect(_drop_place_triggers, sender=self)
        post_migrate.connect(_install_fact_triggers, sender=self)


def _drop_place_triggers(*, using: str = "default", **kwargs: Any) -> None:
    from kefu.reports import facts

    facts.drop_place_triggers(using)


def _install_fact_triggers(*, using: str = "default", **kwargs: Any) -> None:
    """The triggers that mark the days whose daily facts a write made out of date
    (kefu/reports/facts.py), (re)created after every migrate: the figures decide the tables."""
    from kefu.reports import facts

    facts.install_triggers(using)
