from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from kefu.tickets import documents, exports, subscribers, tasks  # noqa: F401  tasks: Huey tasks; exports: the export

        documents.register()
        subscribers.register()
        from kefu.tickets import personal_data

        personal_data.register()
