from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "kefu.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from kefu.orders import subscribers

        subscribers.register()
        from kefu.orders import personal_data

        personal_data.register()
