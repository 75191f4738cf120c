from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "kefu.sms"
    label = "sms"
    verbose_name = _("SMS")

    def ready(self) -> None:
        from kefu.sms import personal_data

        personal_data.register()
