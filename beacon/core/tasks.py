"""Jobs of the core: computing a stored analysis (`beacon.core.computed`)."""

from __future__ import annotations

from beacon.core.jobs import bulk_task


@bulk_task()
def compute_result_task(org_id: int, kind: str, key: str) -> None:
    """Bulk queue: a slow analysis a page asked for; the page shows the last one meanwhile."""
    from beacon.core.computed import refresh_result

    refresh_result(org_id, kind, key)
