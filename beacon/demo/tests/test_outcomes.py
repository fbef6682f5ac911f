"""The demo's planted money effects are recovered by the Value page within its intervals."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.money.stored import stored_report
from beacon.demo import outcomes as planted
from beacon.demo.seed import seed
from beacon.orgs.queries import org_owner
from beacon.outcomes.models import Outcome, OutcomeKind, ReportKind
from beacon.web.tests.helpers import embedded_json, logged_in, page

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def test_value_page_recovers_the_planted_effects() -> None:
    org = seed(responses=2500, today=TODAY)
    kinds = set(Outcome.objects.for_org(org).values_list("kind", flat=True))
    assert kinds == set(OutcomeKind.values) - {OutcomeKind.SUBSCRIPTION_CHANGED}
    report = stored_report(org.pk, ReportKind.VALUE)
    assert report.as_of == TODAY
    data = report.data
    hr = data["retention"]["hazard_ratio"]["detractor"]
    assert hr["enough"] and hr["low"] <= planted.DETRACTOR_HAZARD <= hr["high"], hr
    assert hr["low"] > 1
    # Each service contact costs £6: every reason's cost per contact is exactly that.
    per_contact = [r["cost_per_contact"] for r in data["cost_to_serve"]["by_reason"]]
    assert per_contact and all(f["value"] == 6.0 for f in per_contact if f["enough"])
    # The completed action reduced repeat contacts at its stage.
    action = next(a for a in data["actions"] if a.get("enough"))
    days = action["window_days"]
    truth = (planted.REPEAT_AFTER - planted.REPEAT_BEFORE) * days / planted.MONTH * 6
    did = action["did"]["cost"]
    assert did["low"] <= truth <= did["high"], (truth, did)
    assert did["high"] < 0
    owner = org_owner(org)
    assert owner is not None
    html = page(logged_in(owner), "/value/")
    groups = embedded_json(html, "retention-data")
    assert [g["label"] for g in groups] == ["promoter", "passive", "detractor"]
    assert f'id="crown-action-{action["action_id"]}"' in html
