from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "kefu.dispatch"
    label = "dispatch"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        from kefu.dispatch import subscribers, tasks  # noqa: F401  tasks: Huey tasks

        subscribers.register()
        from kefu.dispatch import personal_data

        personal_data.register()
