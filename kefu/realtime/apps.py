from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "kefu.realtime"
    label = "realtime"

    def ready(self) -> None:
        from kefu.realtime import subscribers

        subscribers.register()
