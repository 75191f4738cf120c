from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "kefu.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from kefu.automation import personal_data, subscribers

        subscribers.register()
        personal_data.register()
