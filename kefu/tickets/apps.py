from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from kefu.tickets import documents, exports, subscribers, tasks  # noqa: F401  tasks: Huey tasks; exports: the export

        documents.register()
        from django.db.models.signals import post_delete, post_save

        from kefu.tickets.models import SlaPolicy
        from kefu.tickets.services.sla import POLICIES

        for signal in (post_save, post_delete):
            signal.connect(POLICIES.changed, sender=SlaPolicy, dispatch_uid=f"policies-{signal}")
        subscribers.register()
        from kefu.tickets import personal_data

        personal_data.register()
