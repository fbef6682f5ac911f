"""The verbs outcome writes record in the event log."""

from __future__ import annotations

from beacon.orgs.events import EventVerb


class OutcomeEvent(EventVerb):
    RECORDED = "outcome.recorded"
    BATCH_RECORDED = "outcome.batch_recorded"
    ACCOUNT_SET = "outcome.account_set"
    SETTINGS_CHANGED = "outcome.settings_changed"
    REPORT_STORED = "outcome.report_stored"
