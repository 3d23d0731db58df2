"""Top-level URL map: each domain app serves its own pages; the API lives under /api/v1."""

from django.urls import include, path

from bankcrm.api.urls import api

urlpatterns = [
    path("", include("bankcrm.web.urls")),
    path("", include("bankcrm.access.urls")),
    path("customers/", include("bankcrm.customers.urls")),
    path("", include("bankcrm.interactions.urls")),
    path("insights/", include("bankcrm.insights.urls")),
    path("sales/", include("bankcrm.sales.urls")),
    path("imports/", include("bankcrm.ingest.urls")),
    path("jobs/", include("bankcrm.jobs.urls")),
    path("", include("bankcrm.loyalty.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
