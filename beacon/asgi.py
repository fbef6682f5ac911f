"""ASGI entry point for uvicorn."""

from __future__ import annotations

import os
from typing import Any

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
django.setup(set_prefix=False)

from beacon.core.asgi import BeaconASGIHandler  # noqa: E402  (needs the apps loaded)
from beacon.ingest.edge import IngestEdge  # noqa: E402


def build(edge: bool) -> Any:
    """Django's handler, behind the ingest edge when it is on (docs/adr/0010)."""
    django_app = BeaconASGIHandler(threads=settings.WEB_THREADS)
    return IngestEdge(django_app) if edge else django_app


application = build(settings.INGEST_EDGE)
