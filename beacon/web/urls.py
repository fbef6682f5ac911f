"""The staff UI, mounted at the site root."""

from __future__ import annotations

from allauth.account import views as allauth_views
from django.urls import URLPattern, URLResolver, path

from beacon.web.views import (
    account,
    analytics,
    cases,
    cx,
    distribution,
    exports,
    feed,
    insights,
    members,
    overview,
    packs,
    settings_audit,
    settings_keys,
    sign_in,
    surveys,
    value,
)
from beacon.web.views.loop import cases as loop_cases
from beacon.web.views.loop import channels as loop_channels
from beacon.web.views.loop import improvements, lost, rules, sharing

app_name = "web"

urlpatterns: list[URLPattern | URLResolver] = [
    # Sign-in (beacon.accounts policy through django-allauth; its other pages are under
    # /accounts/).
    path("login/", allauth_views.LoginView.as_view(), name="login"),
    path("logout/", allauth_views.LogoutView.as_view(), name="logout"),
    path("login/sso/", sign_in.sso_start, name="sso_start"),
    path("settings/sign-in/", sign_in.sign_in_settings, name="sign_in_settings"),
    path("settings/sign-in/2fa/", sign_in.two_factor_policy, name="sign_in_2fa"),
    path("settings/sign-in/sso/", sign_in.sso_save, name="sign_in_sso"),
    path("settings/sign-in/sso/remove/", sign_in.sso_remove, name="sign_in_sso_remove"),
    path("org/", account.switch_org, name="switch_org"),
    path("", overview.overview, name="overview"),
    path("verbatims/", feed.verbatim_feed, name="verbatims"),
    path("surveys/", surveys.survey_list, name="surveys"),
    path("surveys/new/", surveys.survey_create, name="survey_create"),
    path("surveys/from-template/", surveys.survey_from_template, name="survey_from_template"),
    path("surveys/<int:survey_id>/duplicate/", surveys.survey_duplicate, name="survey_duplicate"),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/",
        surveys.question_edit,
        name="question_edit",
    ),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/move/",
        surveys.question_move,
        name="question_move",
    ),
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
    # --- widget identity verification
    path(
        "surveys/<int:survey_id>/distribution/widget-secret/",
        distribution.widget_secret_rotate,
        name="survey_widget_secret",
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
    path("actions/", improvements.action_board, name="actions"),
    path("actions/new/", improvements.action_create, name="action_create"),
    path("actions/<int:action_id>/", improvements.action_page, name="action"),
    path("actions/<int:action_id>/progress/", improvements.action_progress, name="action_progress"),
    path("actions/<int:action_id>/status/", improvements.action_status, name="action_status"),
    path("actions/<int:action_id>/publish/", improvements.action_publish, name="action_publish"),
    path("actions/updates/<int:update_id>/", improvements.customer_update, name="customer_update"),
    path("cases/rules/", rules.case_rules, name="case_rules"),
    path("cases/<int:case_id>/reply/", loop_cases.case_reply, name="case_reply"),
    path("loop/reports/", loop_cases.loop_reports, name="loop_reports"),
    path("loop/digest/", sharing.digest_settings, name="digest"),
    path("loop/recognition/", sharing.recognition, name="recognition"),
    path("loop/wall/", sharing.wall_admin, name="wall_admin"),
    path("loop/channels/", loop_channels.channels, name="channels"),
    path("loop/lost/", lost.lost_calls, name="lost_customers"),
    path("loop/lost/<int:call_id>/", lost.lost_call, name="lost_call"),
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
    # Settings: members, invitations, departments, API keys, audit log.
    path("settings/members/", members.member_list, name="members"),
    path("settings/members/invite/", members.member_invite, name="member_invite"),
    path("settings/members/<int:member_id>/", members.member_edit, name="member"),
    path(
        "settings/members/<int:member_id>/deactivate/",
        members.member_deactivate,
        name="member_deactivate",
    ),
    path(
        "settings/members/<int:member_id>/reactivate/",
        members.member_reactivate,
        name="member_reactivate",
    ),
    path(
        "settings/members/<int:member_id>/handover/",
        members.member_handover,
        name="member_handover",
    ),
    path(
        "settings/members/invitations/<int:invitation_id>/resend/",
        members.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "settings/members/invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke,
        name="invitation_revoke",
    ),
    path("settings/departments/", members.departments, name="departments"),
    path(
        "settings/departments/<int:department_id>/",
        members.department_rename,
        name="department_rename",
    ),
    path(
        "settings/departments/<int:department_id>/remove/",
        members.department_remove,
        name="department_remove",
    ),
    path("invite/<str:token>/", members.accept_invitation, name="accept_invitation"),
    path("settings/api-keys/", settings_keys.api_keys, name="api_keys"),
    path(
        "settings/api-keys/<int:key_id>/revoke/",
        settings_keys.api_key_revoke,
        name="api_key_revoke",
    ),
    path("settings/audit/", settings_audit.audit_log, name="audit"),
    path("settings/audit.csv", settings_audit.audit_csv, name="audit_csv"),
    # --- exports, board pack ---
    path("exports/<str:dataset>.<str:fmt>", exports.export_list, name="export"),
    path("exports/<int:job_id>/", exports.export_job_page, name="export_job"),
    path("exports/<int:job_id>/file", exports.export_job_file, name="export_file"),
    path("reports/pack/", packs.pack_page, name="pack"),
    path("reports/pack/schedule/", packs.pack_schedule, name="pack_schedule"),
    path("reports/packs/<int:pack_id>.pdf", packs.pack_file, name="pack_file"),
]
