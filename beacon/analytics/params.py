"""Checking what a client asks of analytics, shared by the API and the staff pages.

Every problem is reported under the name of the parameter that caused it, all at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from beacon.analytics import metrics
from beacon.core.errors import ValidationFailed
from beacon.orgs.models import Organization

# Feedback predates no one's use of Beacon by more than this; older dates are typos.
EARLIEST = dt.date(2000, 1, 1)
# A period may reach this far past today (a planned comparison window), no further.
MAX_FUTURE_DAYS = 366
MAX_LIMIT = 200
DEFAULT_DAYS = 84  # twelve weeks


@dataclass
class Checker:
    org: Organization
    today: dt.date
    errors: dict[str, str] = field(default_factory=dict)

    def metric(self, name: str, where: str = "metric") -> str:
        if name not in metrics.METRICS:
            self.errors[where] = f"unknown metric {name!r}; one of {', '.join(metrics.METRICS)}"
        return name

    def grain(self, name: str, where: str = "grain") -> str:
        if name not in metrics.GRAINS:
            self.errors[where] = f"unknown grain {name!r}; one of {', '.join(metrics.GRAINS)}"
        return name

    def dimension(self, name: str, where: str = "dimension") -> str:
        names = metrics.dimension_names(self.org)
        if name not in names:
            self.errors[where] = f"unknown dimension {name!r}; one of {', '.join(names)}"
        return name

    def sentiment(self, name: str | None, where: str = "sentiment") -> str | None:
        if name is not None and name not in metrics.SENTIMENTS:
            self.errors[where] = (
                f"unknown sentiment {name!r}; one of {', '.join(metrics.SENTIMENTS)}"
            )
        return name

    def band(self, name: str, where: str = "band") -> str:
        if name not in metrics.BANDS:
            self.errors[where] = f"unknown band {name!r}; one of {', '.join(metrics.BANDS)}"
        return name

    def limit(self, value: int, where: str = "limit") -> int:
        if not 1 <= value <= MAX_LIMIT:
            self.errors[where] = f"must be between 1 and {MAX_LIMIT}"
        return value

    def _day(self, value: dt.date | None, where: str) -> dt.date | None:
        if value is None:
            return None
        latest = self.today + dt.timedelta(days=MAX_FUTURE_DAYS)
        if value < EARLIEST:
            self.errors[where] = f"must be on or after {EARLIEST.isoformat()}"
        elif value > latest:
            self.errors[where] = f"must be on or before {latest.isoformat()}"
        else:
            return value
        # Refused: the default stands in, so the date arithmetic that follows (a period
        # before this one, week starts) never runs off the calendar before the answer
        # reports the error.
        return None

    def period(
        self,
        start: dt.date | None,
        end: dt.date | None,
        *,
        prefix: str = "",
        default_days: int = DEFAULT_DAYS,
    ) -> tuple[dt.date, dt.date]:
        """A closed period; missing ends default to the last `default_days` to today."""
        s_name, e_name = f"{prefix}start", f"{prefix}end"
        start = self._day(start, s_name)
        end = self._day(end, e_name)
        end = end or self.today
        start = start or end - dt.timedelta(days=default_days - 1)
        if start > end and e_name not in self.errors and s_name not in self.errors:
            self.errors[e_name] = f"must be on or after {s_name} ({start.isoformat()})"
        return start, end

    def buckets(self, start: dt.date, end: dt.date, grain: str, where: str = "end") -> None:
        if grain in metrics.GRAINS and start <= end and not self.errors:
            count = len(metrics.buckets(start, end, grain))
            if count > metrics.MAX_BUCKETS:
                self.errors[where] = (
                    f"the period has {count} {grain}s; at most {metrics.MAX_BUCKETS} per series"
                )

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(dict(self.errors))
