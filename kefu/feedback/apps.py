from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kefu.feedback"
    label = "feedback"
    verbose_name = _("Feedback and bugs")

    def ready(self) -> None:
        from kefu.feedback import exports, subscribers

        exports.register_exports()
        subscribers.register()
        from kefu.feedback import personal_data

        personal_data.register()
