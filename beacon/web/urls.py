"""The staff UI, mounted at the site root."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from beacon.web.views import account, cases, cx, feed, overview, surveys

app_name = "web"

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=account.EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"), name="logout"),
    path("org/", account.switch_org, name="switch_org"),
    path("", overview.overview, name="overview"),
    path("verbatims/", feed.verbatim_feed, name="verbatims"),
    path("surveys/", surveys.survey_list, name="surveys"),
    path("surveys/new/", surveys.survey_create, name="survey_create"),
    path("surveys/<int:survey_id>/", surveys.survey_editor, name="survey"),
    path("surveys/<int:survey_id>/questions/", surveys.question_add, name="question_add"),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/remove/",
        surveys.question_remove,
        name="question_remove",
    ),
    path("cx/personas/", cx.persona_list, name="personas"),
    path("cx/journey/", cx.journey, name="journey"),
    path("cx/journey/stages/", cx.stage_add, name="stage_add"),
    path("cx/journey/needs/", cx.need_add, name="need_add"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:case_id>/", cases.case_page, name="case"),
    path("cases/<int:case_id>/note/", cases.case_note, name="case_note"),
    path("cases/<int:case_id>/status/", cases.case_status, name="case_status"),
    path("cases/<int:case_id>/reassign/", cases.case_reassign, name="case_reassign"),
    path("cases/<int:case_id>/resolve/", cases.case_resolve, name="case_resolve"),
]
