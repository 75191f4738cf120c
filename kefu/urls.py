from django.contrib import admin
from django.urls import include, path

from kefu.api import api

handler403 = "kefu.core.views.permission_denied"
handler404 = "kefu.core.views.page_not_found"
handler500 = "kefu.core.views.server_error"

urlpatterns = [
    path("", include("kefu.core.urls")),
    path("", include("kefu.accounts.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
