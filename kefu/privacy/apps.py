from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kefu.privacy"
    label = "privacy"
    verbose_name = _("Personal data protection")

    def ready(self) -> None:
        from kefu.privacy import subscribers, tasks  # noqa: F401  tasks: the Huey tasks

        subscribers.register()
