"""Behind a TLS-terminating proxy: settings follow BEACON_BASE_URL, `check --deploy` is
clean, and a bad proxy list stops start-up naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# 50+ characters with many distinct ones, as `check --deploy` asks (security.W009).
SECRET = "k3y-for-the-deploy-check-7Qx9mZp2Lw8Rt5Vb1Nc4Hd6Jf0Gs"


def _run(args: list[str], extra: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update({"BEACON_DATA_DIR": str(tmp), "SECRET_KEY": SECRET, **extra})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_check_deploy_is_clean_with_an_https_base_url(tmp_path: Path) -> None:
    https = {"BEACON_BASE_URL": "https://cx.example.com", "BEACON_TRUSTED_PROXIES": "127.0.0.1"}
    result = _run(["-m", "beacon", "check", "--deploy", "--fail-level", "WARNING"], https, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    # The same install on plain HTTP is told what is missing.
    plain = _run(["-m", "beacon", "check", "--deploy"], {}, tmp_path)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in plain.stderr


def _settings(extra: dict[str, str], tmp: Path) -> dict[str, object]:
    code = (
        "import json; from beacon.settings import base as s; print(json.dumps({n: getattr(s, n,"
        " None) for n in ('CSRF_TRUSTED_ORIGINS', 'ALLOWED_HOSTS', 'SECURE_PROXY_SSL_HEADER',"
        " 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',"
        " 'SECURE_SSL_REDIRECT', 'TRUSTED_PROXIES')}))"
    )
    result = _run(["-c", code], extra, tmp)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_settings_follow_the_base_url_and_the_proxy_list(tmp_path: Path) -> None:
    https = _settings(
        {"BEACON_BASE_URL": "https://cx.example.com:8443/", "BEACON_TRUSTED_PROXIES":
         "10.0.0.2, 192.168.0.0/24"}, tmp_path,
    )  # fmt: skip
    assert https == {
        "CSRF_TRUSTED_ORIGINS": ["https://cx.example.com:8443"],
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "cx.example.com"],
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_SSL_REDIRECT": True,
        "TRUSTED_PROXIES": ["10.0.0.2", "192.168.0.0/24"],
    }
    plain = _settings({}, tmp_path)
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SECURE_PROXY_SSL_HEADER"] is None
    assert plain["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8000"]


def test_a_bad_proxy_list_stops_start_up_naming_it(tmp_path: Path) -> None:
    result = _run(["-m", "beacon", "check"], {"BEACON_TRUSTED_PROXIES": "nginx"}, tmp_path)
    assert result.returncode != 0
    assert "BEACON_TRUSTED_PROXIES must list IP addresses or networks (got 'nginx')" in (
        result.stderr
    )
