"""Reading the money reports the worker stored: light, so pages and the API may import it
(the fitting code in `report` loads SciPy and scikit-learn, which only the worker runs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from beacon.analytics.money.shown import with_shown
from beacon.cxmodel.models import Stage
from beacon.loop.models import Action
from beacon.outcomes.models import ReportKind
from beacon.outcomes.queries import report_of


@dataclass(frozen=True)
class Stored:
    as_of: dt.datetime | None
    data: dict[str, Any]
    missing_subject: bool = False


def stored_report(org_id: int, kind: str, subject_id: int = 0) -> Stored:
    """What the worker stored last, each figure with its text (`shown`); an unknown (or
    another organisation's) subject is missing."""
    if kind == ReportKind.ACTION:
        missing = not Action.objects.for_org(org_id).filter(pk=subject_id).exists()
    elif kind == ReportKind.STAGE:
        missing = not Stage.objects.for_org(org_id).filter(pk=subject_id).exists()
    else:
        missing = False
    if missing:
        return Stored(None, {}, missing_subject=True)
    report = report_of(org_id, kind, subject_id)
    if report is None:
        return Stored(
            None,
            {"note": "Not computed yet: the worker computes it every night and when asked."},
        )
    return Stored(report.as_of, with_shown(report.data))
