"""URLs of the customer archive, gathered from each page module."""

from kefu.customers.views import profiles, transfer, work

app_name = "customers"

urlpatterns = [*profiles.urlpatterns, *work.urlpatterns, *transfer.urlpatterns]
