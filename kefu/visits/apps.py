from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "kefu.visits"
    label = "visits"
    verbose_name = _("Return visits")

    def ready(self) -> None:
        from kefu.visits import exports, subscribers, tasks  # noqa: F401  tasks: Huey tasks

        subscribers.register()
        exports.register_exports()
        from kefu.visits import personal_data

        personal_data.register()
        from kefu.dispatch.selectors import keep_visits_with
        from kefu.visits.selectors import dispatch_visit

        keep_visits_with(dispatch_visit)  # a finished order's visit is a task here (issue 16.4)
