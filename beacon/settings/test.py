"""Test settings: SQLite by default, PostgreSQL when BEACON_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("BEACON_DATA_DIR", tempfile.mkdtemp(prefix="beacon-test-"))
os.environ.setdefault("BEACON_JOBS_IMMEDIATE", "1")

from beacon.settings.base import *  # noqa: F403
from beacon.settings.base import _database
from beacon.settings.env import env_url

_TEST_DB = env_url("BEACON_TEST_DATABASE_URL", None, ("postgres", "postgresql", "pgsql"))
if _TEST_DB:
    DATABASES = {"default": _database(_TEST_DB)}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
