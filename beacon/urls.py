"""Top-level URLs: respondent pages, the API and the staff UI."""

from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from beacon.web.views import wall

urlpatterns = [
    path("s/", include("beacon.public.urls")),
    path("api/", include("beacon.api.urls")),
    # django-allauth: password reset, two-factor, SSO round trips, sessions.
    path("accounts/", include("allauth.urls")),
    # Live wallboards: login-free, the signed token is the only key.
    path("wall/<str:token>/", wall.wall_page, name="wall"),
    path("wall/<str:token>/events", wall.wall_events, name="wall_events"),
    # Browsers ask for /favicon.ico on every page that names no icon (a customer's
    # browser on a respondent page included); the icon itself is a static file.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("beacon/favicon.svg"), permanent=True),
        name="favicon",
    ),
    path("", include("beacon.web.urls")),
]
