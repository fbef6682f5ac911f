""" "% of perfect": every scale on one 0-100 axis, so different questions can be compared.

The definition, once: the mean score rescaled so the worst answer is 0 and the best is 100,
``100 * (mean - low) / (high - low)`` over the question's scale (CSAT 1-5, CES 1-7, a
rating its own range). NPS is not a mean of its 0-10 answers but a -100..100 index, so it
is mapped from that range: ``(NPS + 100) / 2``. The 95% interval goes through the same
linear map, so it keeps its coverage, and is cut to 0..100 like the value's range.
"""

from __future__ import annotations

from collections.abc import Mapping

from beacon.analytics import stats
from beacon.surveys.models import FIXED_SCALES, QuestionKind, Scale

NPS_RANGE = Scale(-100, 100)
# The metric keys of analytics.metrics and the kind of question each is read from.
KIND_OF_METRIC = {
    "nps": QuestionKind.NPS,
    "csat": QuestionKind.CSAT,
    "ces": QuestionKind.CES,
    "ces_easy": QuestionKind.CES,
}


def _rescaled(estimate: stats.Estimate, scale: Scale) -> stats.Estimate:
    width = scale.high - scale.low

    def to_100(x: float) -> float:
        return min(100.0, max(0.0, 100.0 * (x - scale.low) / width))

    return stats.Estimate(to_100(estimate.value), to_100(estimate.low), to_100(estimate.high))


def percent_of_perfect(
    kind: str, hist: Mapping[int, int], scale: Scale | None = None
) -> stats.Estimate | None:
    """The answers of one kind of question (a histogram score -> count) as % of perfect.

    `kind` is a metric key ("nps", "csat", "ces", "ces_easy") or a question kind; a
    rating question passes its own `scale`. None without answers or without a scale.
    """
    question_kind = KIND_OF_METRIC.get(kind, kind)
    if question_kind == QuestionKind.NPS:
        estimate = stats.nps(hist)
        return _rescaled(estimate, NPS_RANGE) if estimate else None
    scale = scale or FIXED_SCALES.get(QuestionKind(question_kind))
    if scale is None or scale.high <= scale.low:
        return None
    estimate = stats.mean(hist)
    return _rescaled(estimate, scale) if estimate else None
