from django.contrib import admin

from kefu.core.models import CalendarDay, TimelineEntry

admin.site.register(CalendarDay, list_display=["date", "kind", "name"])
admin.site.register(
    TimelineEntry, list_display=["occurred_at", "kind", "summary"], list_filter=["kind"]
)
