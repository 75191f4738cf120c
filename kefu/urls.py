from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kefu.api import api
from kefu.visits.survey_views import survey_answer

handler403 = "kefu.web.views.permission_denied"
handler404 = "kefu.web.views.page_not_found"
handler500 = "kefu.web.views.server_error"

urlpatterns = [
    path("", include("kefu.web.urls")),
    path("", include("kefu.accounts.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("exports/", include("kefu.exports.views")),
    path("notifications/", include("kefu.notifications.views")),
    path("tickets/", include("kefu.tickets.views")),
    path("settings/tickets/", include("kefu.tickets.settings_views")),
    path("settings/inboxes/", include("kefu.conversations.settings_views")),
    path("settings/customer-fields/", include("kefu.customers.settings_views")),
    path("widget/", include("kefu.conversations.widget_views")),
    path("telephony/", include("kefu.telephony.views")),
    path("settings/call-scripts/", include("kefu.telephony.settings_views")),
    path("conversations/", include("kefu.conversations.urls")),
    path("replies/", include("kefu.replies.views")),
    path("sms/", include("kefu.sms.views")),
    path("quality/", include("kefu.quality.views")),
    path("visits/", include("kefu.visits.views")),
    path("privacy/", include("kefu.privacy.views")),
    path("survey/<str:token>/", survey_answer, name="survey_answer"),
    path("knowledge/", include("kefu.knowledge.views")),
    path("reports/", include("kefu.reports.views")),
    path("orders/", include("kefu.orders.views")),
    path("aftersales/", include("kefu.aftersales.views")),
    path("dispatch/", include("kefu.dispatch.views")),
    path("feedback/", include("kefu.feedback.views")),
    path("automation/", include("kefu.automation.views")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Administrators sign in through kefu's own page (throttle, audit, two-factor), also for the admin.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:sign_in", query_string=True)),
    path("admin/", admin.site.urls),
]
