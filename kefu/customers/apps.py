from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    label = "customers"
    verbose_name = _("Customer archive")

    def ready(self) -> None:
        from kefu.customers import (
            documents,
            personal_data,
            tasks,  # noqa: F401  registers the app's Huey tasks
        )
        from kefu.customers.services.transfer import exports  # noqa: F401  registers the export

        personal_data.register()
        documents.register()
        pre_migrate.connect(_drop_level_count_triggers, sender=self)
        post_migrate.connect(_install_level_counts, sender=self)


def _drop_level_count_triggers(*, using: str = "default", **kwargs: Any) -> None:
    from kefu.customers import level_counts

    level_counts.drop(using)


def _install_level_counts(*, using: str = "default", **kwargs: Any) -> None:
    """The triggers keeping the live customers of each level, and a recount (level_counts)."""
    from kefu.customers import level_counts

    level_counts.install(using)
