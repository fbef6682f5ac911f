"""Where the bands of the standard scales start: every metric, band and badge reads these.

NPS (0-10): 9-10 promoters, 7-8 passives, 0-6 detractors. CSAT (1-5): 4-5 satisfied (the
top-2 box). CES (1-7, 7 "very easy"): 5-7 easy.
"""

from __future__ import annotations

PROMOTER_MIN = 9
PASSIVE_MIN = 7
DETRACTOR_MAX = PASSIVE_MIN - 1
NPS_MAX = 10
CSAT_SATISFIED_MIN = 4
CES_EASY_MIN = 5


def nps_band(score: int) -> str:
    if score >= PROMOTER_MIN:
        return "promoter"
    return "passive" if score >= PASSIVE_MIN else "detractor"


def nps_contribution(score: int) -> float:
    """What one answer adds to NPS (-100..100), so NPS is the mean of these values."""
    if score >= PROMOTER_MIN:
        return 100.0
    return -100.0 if score <= DETRACTOR_MAX else 0.0


def top_box_contribution(score: int, threshold: int) -> float:
    """What one answer adds to a top-box share in %, so the share is their mean."""
    return 100.0 if score >= threshold else 0.0
