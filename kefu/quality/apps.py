from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "kefu.quality"
    label = "quality"
    verbose_name = _("Quality and performance")

    def ready(self) -> None:
        from kefu.quality import subscribers
        from kefu.quality.exports import register_exports

        subscribers.register()
        register_exports()
        from kefu.quality import personal_data

        personal_data.register()
