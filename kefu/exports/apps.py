from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "kefu.exports"
    label = "exports"
    verbose_name = _("Exports")

    def ready(self) -> None:
        from kefu.exports import tasks  # noqa: F401  registers the app's Huey tasks
