from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kefu.notifications"
    label = "notifications"
    verbose_name = "notifications"

    def ready(self) -> None:
        from kefu.notifications import personal_data, subscribers

        subscribers.register()
        personal_data.register()
