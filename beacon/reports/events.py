"""The verbs reports record (exports, board packs, warehouse sync)."""

from __future__ import annotations

from beacon.orgs.events import EventVerb


class ReportEvent(EventVerb):
    EXPORT_REQUESTED = "export.requested"
    EXPORT_FINISHED = "export.finished"
    EXPORT_FAILED = "export.failed"
    PACK_GENERATED = "pack.generated"
    PACK_SCHEDULED = "pack.scheduled"
    PACK_SENT = "pack.sent"
    SYNC_WRITTEN = "sync.written"
