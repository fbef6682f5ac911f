"""Key-driver analysis: which rating questions move NPS, and how sure we are.

Johnson's relative weights split the R² of a linear model of the NPS score into one share
per predictor, and stay meaningful when predictors are correlated (as satisfaction
questions always are), where regression coefficients swap signs and mislead. Bootstrap
resamples of the responses give each weight a 95% interval.

Drivers need answers of the same response side by side, which the additive rollups do not
keep, so this reads answers; it reads at most MAX_RESPONSES of the newest responses in
the filter so its cost has a ceiling at any data size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from beacon.analytics.metrics import Filters, day_range
from beacon.core.computed import Computed, read_or_request
from beacon.orgs.models import Organization
from beacon.responses.models import Answer
from beacon.surveys.models import Question, QuestionKind

MAX_RESPONSES = 20_000
BOOTSTRAP_SAMPLES = 200
PREDICTOR_KINDS = (QuestionKind.CSAT, QuestionKind.CES, QuestionKind.RATING)

FloatArray = npt.NDArray[np.float64]


def relative_weights(x: FloatArray, y: FloatArray) -> FloatArray:
    """Johnson (2000) raw relative weights; they sum to the model's R²."""
    xs = (x - x.mean(axis=0)) / x.std(axis=0)
    ys = (y - y.mean()) / y.std()
    n = len(ys)
    r_xx = (xs.T @ xs) / n
    r_xy = (xs.T @ ys) / n
    evals, evecs = np.linalg.eigh(r_xx)
    # The symmetric square root of R: the orthogonal variables closest to the predictors.
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T
    beta = np.linalg.lstsq(lam, r_xy, rcond=None)[0]
    return np.asarray((lam**2) @ (beta**2), dtype=np.float64)


@dataclass(frozen=True)
class Driver:
    question_id: int
    label: str
    weight: float  # share of NPS variance explained, 0..1
    low: float
    high: float


@dataclass(frozen=True)
class DriverResult:
    n: int
    min_n: int
    r2: float | None
    drivers: list[Driver]
    outcome: str

    @property
    def enough(self) -> bool:
        return self.r2 is not None and self.n >= self.min_n


def analyse(
    x: FloatArray,
    y: FloatArray,
    *,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weights with percentile-bootstrap 2.5% and 97.5% bounds."""
    weights = relative_weights(x, y)
    rng = np.random.default_rng(seed)
    n = len(y)
    boot = np.empty((samples, x.shape[1]))
    kept = 0
    for _ in range(samples):
        idx = rng.integers(0, n, n)
        xb, yb = x[idx], y[idx]
        # A resample in which a question has one value only says nothing about it.
        if np.any(xb.std(axis=0) == 0) or yb.std() == 0:
            continue
        boot[kept] = relative_weights(xb, yb)
        kept += 1
    boot = boot[:kept] if kept else weights[np.newaxis, :]
    return weights, np.percentile(boot, 2.5, axis=0), np.percentile(boot, 97.5, axis=0)


def key_drivers(
    org: Organization, survey_id: int, f: Filters | None = None, *, samples: int = BOOTSTRAP_SAMPLES
) -> DriverResult:
    """Relative importance of the survey's CSAT, CES and rating questions for its NPS."""
    f = f or Filters()
    questions = list(Question.objects.for_org(org).filter(survey_id=survey_id).order_by("position"))
    outcome = next((q for q in questions if q.kind == QuestionKind.NPS), None)
    predictors = [q for q in questions if q.kind in PREDICTOR_KINDS]
    min_n = max(org.min_sample_size, 10 * max(len(predictors), 1))
    if outcome is None or not predictors:
        return DriverResult(0, min_n, None, [], str(outcome or ""))
    wanted = [outcome.pk, *(q.pk for q in predictors)]
    answers = Answer.objects.for_org(org).filter(
        question_id__in=wanted, number__isnull=False, response__survey_id=survey_id
    )
    answers = answers.filter(
        **{f"response__responded_at__{op}": v for op, v in day_range(f).items()}
    )
    for name in ("stage_id", "persona_id", "team_id", "touchpoint_id"):
        value = getattr(f, name)
        if value:
            answers = answers.filter(**{f"response__{name}": value})
    rows = answers.order_by("-response_id").values_list("response_id", "question_id", "number")[
        : MAX_RESPONSES * len(wanted)
    ]
    by_response: dict[int, dict[int, int]] = defaultdict(dict)
    for response_id, question_id, number in rows:
        if number is not None:
            by_response[response_id][question_id] = number
    # Only responses that answered every question: a skipped question is not a low score.
    complete = [r for r in by_response.values() if len(r) == len(wanted)]
    n = len(complete)
    if n < min_n:
        return DriverResult(n, min_n, None, [], str(outcome))
    data = np.array([[r[q] for q in wanted] for r in complete], dtype=np.float64)
    y, x = data[:, 0], data[:, 1:]
    if y.std() == 0 or np.any(x.std(axis=0) == 0):
        return DriverResult(n, min_n, None, [], str(outcome))
    weights, low, high = analyse(x, y, samples=samples)
    drivers = [
        Driver(q.pk, q.text, float(w), float(lo), float(hi))
        for q, w, lo, hi in zip(predictors, weights, low, high, strict=True)
    ]
    drivers.sort(key=lambda d: -d.weight)
    return DriverResult(n, min_n, float(weights.sum()), drivers, str(outcome))


# --- stored: computed by the worker, read by the page and the API -------------------------
#
# Reading up to MAX_RESPONSES responses' answers and resampling them takes seconds on a
# large organisation, too long for a page load: the worker computes them
# (`beacon.core.computed`) and the page shows the last result with its "as of" time.

KEY_DRIVERS = "beacon.analytics.drivers.key_drivers_data"
# Answers keep arriving; older figures are recomputed on the next visit after this.
FRESH_FOR = dt.timedelta(minutes=15)


def key_drivers_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: `key_drivers` as JSON."""
    org = Organization.objects.get(pk=org_id)
    result = key_drivers(org, params["survey_id"], Filters.from_params(params["filters"]))
    return asdict(result)


@dataclass(frozen=True)
class StoredDrivers:
    result: DriverResult | None  # None until the worker has computed it once
    computed: Computed


def stored_key_drivers(
    org: Organization, survey_id: int, f: Filters | None = None
) -> StoredDrivers:
    params = {"survey_id": survey_id, "filters": (f or Filters()).to_params()}
    computed = read_or_request(org.pk, KEY_DRIVERS, params, max_age=FRESH_FOR)
    if computed.data is None:
        return StoredDrivers(None, computed)
    data = computed.data
    drivers = [Driver(**d) for d in data["drivers"]]
    return StoredDrivers(DriverResult(**{**data, "drivers": drivers}), computed)
