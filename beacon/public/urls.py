"""Respondent pages under /s/: invitation links and anonymous survey links."""

from django.urls import URLPattern, URLResolver, path

from beacon.public import views

app_name = "public"

# Anonymous links first: "a" is never an invitation token (those are 32 characters).
urlpatterns: list[URLPattern | URLResolver] = [
    path("a/<str:token>/", views.anonymous_step, name="anonymous"),
    path("a/<str:token>/<int:step>/", views.anonymous_step, name="anonymous_step"),
    path("a/<str:token>/thanks/", views.anonymous_thanks, name="anonymous_thanks"),
    path("<str:token>/", views.invitation_step, name="invitation"),
    path("<str:token>/<int:step>/", views.invitation_step, name="invitation_step"),
    path("<str:token>/thanks/", views.invitation_thanks, name="invitation_thanks"),
]
