"""Respondent pages under /s/: invitation links and anonymous survey links."""

from django.urls import URLPattern, URLResolver, path

from beacon.public import channels, invitations, preview, reply, views, wall

app_name = "public"

# Anonymous links first: "a" is never an invitation token (those are 32 characters).
urlpatterns: list[URLPattern | URLResolver] = [
    path("r/<str:token>/", reply.reply, name="case_reply"),
    path("w/<slug:slug>/", wall.wall, name="wall"),
    path("w/<slug:slug>/embed/", wall.wall_embed, name="wall_embed"),
    path("u/<str:token>/", invitations.unsubscribe, name="unsubscribe"),
    path("q/<str:token>/<int:touchpoint_id>/", channels.qr_scan, name="qr"),
    path("widget/<str:token>/", channels.widget_endpoint, name="widget"),
    path("<str:token>/score/<int:value>/", invitations.one_click_score, name="score"),
    path("p/<str:token>/", preview.preview_step, name="preview"),
    path("p/<str:token>/<int:step>/", preview.preview_step, name="preview_step"),
    path("p/<str:token>/thanks/", preview.preview_thanks, name="preview_thanks"),
    path("a/<str:token>/", views.anonymous_step, name="anonymous"),
    path("a/<str:token>/<int:step>/", views.anonymous_step, name="anonymous_step"),
    path("a/<str:token>/thanks/", views.anonymous_thanks, name="anonymous_thanks"),
    path("<str:token>/", views.invitation_step, name="invitation"),
    path("<str:token>/<int:step>/", views.invitation_step, name="invitation_step"),
    path("<str:token>/thanks/", views.invitation_thanks, name="invitation_thanks"),
]
