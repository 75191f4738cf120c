from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kefu.api import api

handler403 = "kefu.core.views.permission_denied"
handler404 = "kefu.core.views.page_not_found"
handler500 = "kefu.core.views.server_error"

urlpatterns = [
    path("", include("kefu.core.urls")),
    path("", include("kefu.accounts.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("notifications/", include("kefu.notifications.views")),
    path("tickets/", include("kefu.tickets.views")),
    path("settings/tickets/", include("kefu.tickets.settings_views")),
    path("settings/inboxes/", include("kefu.conversations.settings_views")),
    path("widget/", include("kefu.conversations.widget_views")),
    path("telephony/", include("kefu.telephony.views")),
    path("conversations/", include("kefu.conversations.urls")),
    path("replies/", include("kefu.replies.views")),
    path("sms/", include("kefu.sms.views")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Administrators sign in through kefu's own page (throttle, audit, two-factor), also for the admin.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:sign_in", query_string=True)),
    path("admin/", admin.site.urls),
]
