from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "kefu.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from kefu.knowledge import (  # noqa: F401  tasks: Huey tasks
            documents,
            personal_data,
            subscribers,
            tasks,
        )

        documents.register()
        subscribers.register()
        personal_data.register()
