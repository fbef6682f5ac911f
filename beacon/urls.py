"""Top-level URLs: respondent pages, the API and the staff UI."""

from django.urls import include, path

urlpatterns = [
    path("s/", include("beacon.public.urls")),
    path("api/", include("beacon.api.urls")),
    path("", include("beacon.web.urls")),
]
