"""Request counters for the public endpoints that anyone on the internet can call."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class RateWindow(TenantModel):
    """Requests counted for one key (survey, client address, kind) in one fixed window.

    The row is created by the first request of the window and counted up with a
    conditional UPDATE, so two requests racing for the last slot cannot both get it.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_window_unique")
        ]
        indexes = [models.Index(fields=["window_start"])]
