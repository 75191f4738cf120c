from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The application shell: workbench, navigation, settings index, business-calendar page, error
    pages and the `serve`/`demo` commands. The top layer: it may import every app, none imports it."""

    name = "kefu.web"
    label = "web"
    verbose_name = _("Application shell")

    def ready(self) -> None:
        from kefu.web import checks  # noqa: F401  (registers the settings checks)
