"""The staff UI, mounted at the site root."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from beacon.web.views import (
    account,
    analytics,
    cases,
    cx,
    distribution,
    feed,
    insights,
    loop_actions,
    loop_pages,
    overview,
    surveys,
    value,
)

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
        "surveys/<int:survey_id>/translations/",
        surveys.survey_translations,
        name="survey_translations",
    ),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/remove/",
        surveys.question_remove,
        name="question_remove",
    ),
    path(
        "surveys/<int:survey_id>/distribution/",
        distribution.distribution,
        name="survey_distribution",
    ),
    path(
        "surveys/<int:survey_id>/distribution/rules/",
        distribution.rule_add,
        name="survey_rule_add",
    ),
    path(
        "surveys/<int:survey_id>/distribution/rules/<int:rule_id>/",
        distribution.rule_edit,
        name="survey_rule_edit",
    ),
    path(
        "surveys/<int:survey_id>/distribution/rules/<int:rule_id>/state/",
        distribution.rule_state,
        name="survey_rule_state",
    ),
    path(
        "surveys/<int:survey_id>/distribution/budget/",
        distribution.budget_set,
        name="survey_budget",
    ),
    path(
        "surveys/<int:survey_id>/qr/<int:touchpoint_id>/",
        distribution.qr_poster,
        name="survey_qr_poster",
    ),
    path(
        "surveys/<int:survey_id>/qr/<int:touchpoint_id>.<str:fmt>",
        distribution.qr_image,
        name="survey_qr_image",
    ),
    path("imports/", distribution.imports, name="imports"),
    path("imports/webhooks/", distribution.webhook_add, name="webhook_add"),
    path("imports/<int:job_id>/", distribution.import_job, name="import"),
    path("imports/<int:job_id>/errors.csv", distribution.import_errors, name="import_errors"),
    path("cx/personas/", cx.persona_list, name="personas"),
    path("cx/journey/", cx.journey, name="journey"),
    path("cx/journey/stages/", cx.stage_add, name="stage_add"),
    path("cx/journey/needs/", cx.need_add, name="need_add"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:case_id>/", cases.case_page, name="case"),
    path("cases/<int:case_id>/note/", cases.case_note, name="case_note"),
    path("cases/<int:case_id>/reason/", cases.case_reason, name="case_reason"),
    path("cases/<int:case_id>/status/", cases.case_status, name="case_status"),
    path("cases/<int:case_id>/reassign/", cases.case_reassign, name="case_reassign"),
    path("cases/<int:case_id>/resolve/", cases.case_resolve, name="case_resolve"),
    path("actions/", loop_actions.action_board, name="actions"),
    path("actions/new/", loop_actions.action_create, name="action_create"),
    path("actions/<int:action_id>/", loop_actions.action_page, name="action"),
    path("actions/<int:action_id>/progress/", loop_actions.action_progress, name="action_progress"),
    path("actions/<int:action_id>/status/", loop_actions.action_status, name="action_status"),
    path("actions/<int:action_id>/publish/", loop_actions.action_publish, name="action_publish"),
    path("actions/updates/<int:update_id>/", loop_actions.customer_update, name="customer_update"),
    path("cases/rules/", loop_pages.case_rules, name="case_rules"),
    path("cases/<int:case_id>/reply/", loop_pages.case_reply, name="case_reply"),
    path("loop/reports/", loop_pages.loop_reports, name="loop_reports"),
    path("loop/digest/", loop_pages.digest_settings, name="digest"),
    path("loop/recognition/", loop_pages.recognition, name="recognition"),
    path("loop/wall/", loop_pages.wall_admin, name="wall_admin"),
    path("loop/channels/", loop_pages.channels, name="channels"),
    path("loop/lost/", loop_pages.lost_calls, name="lost_customers"),
    path("loop/lost/<int:call_id>/", loop_pages.lost_call, name="lost_call"),
    # Money beside experience (issue 13).
    path("value/", value.value_page, name="value"),
    path("value/refresh/", value.value_refresh, name="value_refresh"),
    path("value/settings/", value.value_settings, name="value_settings"),
    path("analytics/", analytics.explore, name="analytics"),
    path("analytics/comments/", analytics.drill, name="analytics_drill"),
    path("analytics/drivers/", analytics.drivers_page, name="analytics_drivers"),
    path("analytics/alerts/", analytics.alerts_page, name="analytics_alerts"),
    path("analytics/wallboards/", analytics.wallboards_page, name="analytics_wallboards"),
    path("me/", analytics.my_work, name="mine"),
    path("insights/", insights.insights_home, name="insights"),
    path("insights/themes/", insights.theme_list, name="insights_themes"),
    path("insights/themes/<int:theme_id>/", insights.theme_edit, name="insights_theme"),
    path(
        "insights/verbatims/<int:answer_id>/",
        insights.verbatim_detail,
        name="insights_verbatim",
    ),
    path("insights/praise/", insights.praise_feed, name="insights_praise"),
    path("insights/suggested/", insights.suggested, name="insights_suggested"),
    path("insights/emerging/", insights.emerging, name="insights_emerging"),
    path("insights/reasons/", insights.reason_list, name="insights_reasons"),
    path("insights/reasons/<int:reason_id>/", insights.reason_edit, name="insights_reason"),
]
