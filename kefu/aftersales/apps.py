from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "kefu.aftersales"
    label = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from kefu.aftersales import (
            exports,  # noqa: F401  registers the register's export
            subscribers,
        )

        subscribers.register()
        from kefu.aftersales import personal_data

        personal_data.register()
