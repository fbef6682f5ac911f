"""ASGI entry point for uvicorn."""

from __future__ import annotations

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
django.setup(set_prefix=False)

from beacon.core.asgi import BeaconASGIHandler  # noqa: E402  (needs the apps loaded)

application = BeaconASGIHandler(threads=settings.WEB_THREADS)
