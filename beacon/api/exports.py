"""GET /exports/{list}: the staff lists' exports over the API, paged with cursors."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponseBase
from ninja import Field, Query, Router, Schema

from beacon.alignment.models import Round
from beacon.analytics import metrics
from beacon.api.auth import org_of
from beacon.api.lookups import Refs
from beacon.api.schemas import ErrorOut, QueryId, ValidationErrorOut
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.insights.models import Theme
from beacon.loop.models import ActionStatus
from beacon.loop.queries import CASE_STATUS_FILTERS
from beacon.orgs.models import Organization, Team
from beacon.outcomes.models import OutcomeKind
from beacon.reports.datasets import DATASETS, filters_to_spec
from beacon.reports.exports import Page, dataset_of, download, page_of, page_rows
from beacon.responses.queries import NPS_BANDS
from beacon.surveys.models import Survey

router = Router(tags=["exports"])

MAX_FILE_ROWS = 100_000

# Which filters each list takes; any other given is refused, naming it.
APPLIES = {
    "responses": {
        "start", "end", "survey_id", "stage_id", "persona_id", "team_id", "touchpoint_id",
        "theme_id", "sentiment",
    },
    "verbatims": {"survey_id", "stage_id", "persona_id", "team_id", "band", "q"},
    "cases": {"status", "overdue"},
    "actions": {"status"},
    "contacts": {"persona_id"},
    "outcomes": {"kind"},
    "alignment": {"round_id"},
}  # fmt: skip
# Lists that need a filter to mean anything: a round's answers are one round's.
REQUIRED = {"alignment": "round_id"}
_MODELS: dict[str, Any] = {
    "survey_id": Survey,
    "stage_id": Stage,
    "persona_id": Persona,
    "team_id": Team,
    "touchpoint_id": Touchpoint,
    "theme_id": Theme,
    "round_id": Round,
}


class ExportQuery(Schema):
    format: Literal["json", "csv", "xlsx", "parquet"] = Field(
        "json", description="json pages, or a file of up to `limit` rows."
    )
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")
    limit: int = Field(
        1000,
        ge=1,
        le=MAX_FILE_ROWS,
        description=f"Rows per page: at most 1000 for json, {MAX_FILE_ROWS:,} for a file.",
    )
    start: dt.date | None = None
    end: dt.date | None = None
    survey_id: QueryId | None = None
    stage_id: QueryId | None = None
    persona_id: QueryId | None = None
    team_id: QueryId | None = None
    touchpoint_id: QueryId | None = None
    theme_id: QueryId | None = None
    sentiment: str | None = None
    band: str | None = Field(None, description="verbatims: detractor, passive or promoter.")
    q: str | None = Field(None, max_length=200, description="verbatims: words in the comment.")
    status: str | None = Field(None, description="cases: open, new, in_progress, resolved, all.")
    overdue: bool = False
    kind: str | None = Field(None, description="outcomes: order, subscription_started, ...")
    round_id: QueryId | None = Field(None, description="alignment: the round (required).")


class ExportPageOut(Schema):
    columns: list[str]
    items: list[dict[str, Any]]
    next_cursor: str | None


def _given(query: ExportQuery) -> dict[str, Any]:
    names = set().union(*APPLIES.values())
    return {k: v for k, v in query.dict().items() if k in names and v not in (None, False)}


def _check(org: Organization, name: str, query: ExportQuery) -> dict[str, Any]:
    given = _given(query)
    errors = {k: f"does not apply to {name}" for k in given if k not in APPLIES[name]}
    refs = Refs(org)
    for field, model in _MODELS.items():
        if field in given and field not in errors:
            refs.get(model, given[field], field)
    errors.update(refs.errors)
    if "sentiment" not in errors and query.sentiment not in (None, *metrics.SENTIMENTS):
        errors["sentiment"] = f"must be one of {', '.join(metrics.SENTIMENTS)}"
    if "band" not in errors and query.band not in (None, *NPS_BANDS):
        errors["band"] = f"must be one of {', '.join(NPS_BANDS)}"
    if name == "cases" and query.status and query.status not in CASE_STATUS_FILTERS:
        errors["status"] = f"must be one of {', '.join(CASE_STATUS_FILTERS)}"
    if name == "actions" and query.status and query.status not in ActionStatus.values:
        errors["status"] = f"must be one of {', '.join(ActionStatus.values)}"
    if name == "outcomes" and query.kind and query.kind not in OutcomeKind.values:
        errors["kind"] = f"must be one of {', '.join(OutcomeKind.values)}"
    if name in REQUIRED and REQUIRED[name] not in given:
        errors[REQUIRED[name]] = f"is required for {name}"
    if query.format == "json" and query.limit > 1000:
        errors["limit"] = "must be at most 1000 for json"
    if errors:
        raise ValidationFailed(errors)
    return _spec(name, given)


def _spec(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The same spec the staff page builds for the same filters."""
    if name == "responses":
        return filters_to_spec(metrics.Filters(**given))
    if name == "verbatims":
        short = {k.removesuffix("_id"): v for k, v in given.items()}
        return {k: str(v) for k, v in short.items()}
    if name == "cases":
        return {"status": given.get("status", "all"), "overdue": given.get("overdue", False)}
    if name == "contacts":
        return {"persona": given.get("persona_id")}
    if name == "alignment":
        return {"round": given["round_id"]}
    return given


def _cursor(raw: str | None) -> int:
    if raw is None:
        return 0
    if not raw.isdigit() or not 0 < int(raw) <= 2**63 - 1:
        raise ValidationFailed({"cursor": "is not a cursor this API returned"})
    return int(raw)


@router.get(
    "/exports/{name}",
    response={200: ExportPageOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="exportList",
    summary="Export a list (responses, verbatims, cases, actions, contacts)",
    description=(
        "The rows of a staff list with the same columns as its CSV, XLSX and Parquet "
        "downloads, in id order. `format=json` answers pages of at most 1000 rows; "
        "`csv`, `xlsx` and `parquet` answer a file of at most `limit` rows, with the next "
        "cursor in the `X-Next-Cursor` header (absent on the last page). Pass the cursor "
        "back as `cursor` for the next page; rows stored while you page appear later, never "
        "twice. An API key sees personal data masked: contact names, emails and external "
        "ids empty, free text redacted.\n\n"
        "Filters by list: responses take start, end, survey_id, stage_id, persona_id, "
        "team_id, touchpoint_id, theme_id, sentiment; verbatims take survey_id, stage_id, "
        "persona_id, team_id, band, q; cases take status (default all) and overdue; "
        "actions take status; contacts take persona_id; outcomes take kind; alignment "
        "takes round_id (required). A filter that matches nothing "
        "gives an empty page or a file with only the header."
    ),
)
def export_list(
    request: HttpRequest, name: str, query: Query[ExportQuery]
) -> ExportPageOut | HttpResponseBase:
    org = org_of(request)
    if name not in DATASETS:
        raise ValidationFailed({"name": f"unknown list; one of {', '.join(DATASETS)}"})
    dataset = dataset_of(name)
    spec = _check(org, name, query)
    page: Page = page_of(dataset, org, spec, False, _cursor(query.cursor), query.limit)
    if query.format != "json":
        return download(dataset, org, spec, False, query.format, page=page)
    header = dataset.header
    items = [
        dict(zip(header, row, strict=True)) for row in page_rows(dataset, org, spec, False, page)
    ]
    return ExportPageOut(
        columns=header,
        items=items,
        next_cursor=str(page.next_cursor) if page.next_cursor is not None else None,
    )
