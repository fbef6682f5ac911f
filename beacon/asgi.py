"""ASGI entry point for uvicorn."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
application = get_asgi_application()
