from django.urls import path

from kefu.web import views

# The shell's pages kept the names they had when they lived in core ("core:home", "core:settings",
# "core:calendar"): every app's templates link to them, and renaming would only break links.
app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/calendar/", views.calendar_view, name="calendar"),
    path(
        "settings/calendar/<int:day_id>/delete/",
        views.calendar_day_delete,
        name="calendar_day_delete",
    ),
]
