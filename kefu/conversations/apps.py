from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "kefu.conversations"
    label = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from kefu.conversations import exports, subscribers  # noqa: F401  exports registers itself

        subscribers.register()
        from kefu.conversations import personal_data

        personal_data.register()
        from kefu.conversations import documents

        documents.register()
