"""The markers that replace erased or expired free text (beacon.privacy writes them).

Here, at the bottom of the layers, so code below privacy can recognise them: a backfill
that re-read "[erased]" as a comment would change the figures erasure promised to keep.
"""

from __future__ import annotations

ERASED = "[erased]"
EXPIRED = "[removed after the retention period]"
MARKERS = (ERASED, EXPIRED)
