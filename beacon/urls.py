"""Top-level URLs: respondent pages, the API and the staff UI."""

from django.urls import include, path

from beacon.web.views import wall

urlpatterns = [
    path("s/", include("beacon.public.urls")),
    path("api/", include("beacon.api.urls")),
    # django-allauth: password reset, two-factor, SSO round trips, sessions.
    path("accounts/", include("allauth.urls")),
    # Live wallboards: login-free, the signed token is the only key.
    path("wall/<str:token>/", wall.wall_page, name="wall"),
    path("wall/<str:token>/events", wall.wall_events, name="wall_events"),
    path("", include("beacon.web.urls")),
]
