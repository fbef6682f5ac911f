"""One rule for decimals: a value, its margin and its bounds share one precision, and the
margin is never shown as zero when the interval is not a point."""

from __future__ import annotations

from beacon.analytics.display import decimals, figure


def test_usual_precision_when_the_margin_shows() -> None:
    f = figure("nps", 23.4, 17.1, 29.6)
    assert (f.value, f.margin, f.low, f.high) == ("23", "6", "17", "30")


def test_a_narrow_ces_interval_gets_the_decimals_it_needs() -> None:
    # The overview showed "CES 5.2 ±0.0" beside "5.1 to 5.2".
    f = figure("ces", 5.153, 5.112, 5.194)
    assert (f.value, f.margin, f.low, f.high) == ("5.15", "0.04", "5.11", "5.19")


def test_never_more_than_three_places_and_a_point_interval_stays_usual() -> None:
    assert decimals("ces", 0.00001) == 3
    assert decimals("csat", 0.0) == 0
    assert decimals("unknown_metric", None) == 1


def test_negative_zero_reads_as_zero() -> None:
    f = figure("nps", -0.2, -10.0, 9.6)
    assert f.value == "0" and f.low == "-10"
