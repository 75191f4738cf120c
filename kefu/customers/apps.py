from django.apps import AppConfig
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
