from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from beacon.settings.env import env_bool, env_int, env_list, env_url

ROOT = Path(__file__).resolve().parents[3]


def test_helpers_read_typed_values() -> None:
    env = {"A": "yes", "B": "42", "C": "a.example, b.example", "D": "postgres://u@db:5432/x"}
    assert env_bool("A", False, env) is True
    assert env_bool("MISSING", True, env) is True
    assert env_int("B", 1, env, minimum=1) == 42
    assert env_list("C", [], env) == ["a.example", "b.example"]
    assert env_url("D", None, ("postgres",), env) == "postgres://u@db:5432/x"
    assert env_url("MISSING", None, ("postgres",), env) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: env_bool("DEBUG", False, {"DEBUG": "maybe"}), "DEBUG must be true or false"),
        (lambda: env_int("N", 1, {"N": "ten"}), "N must be a whole number"),
        (lambda: env_int("N", 1, {"N": "0"}, minimum=1), "N must be at least 1"),
        (lambda: env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": " , "}), "ALLOWED_HOSTS must"),
        (
            lambda: env_url("DATABASE_URL", None, ("postgres",), {"DATABASE_URL": "mysql://h/x"}),
            "DATABASE_URL must start with one of postgres://",
        ),
        (
            lambda: env_url("REDIS_URL", None, ("redis",), {"REDIS_URL": "redis://"}),
            "REDIS_URL must name a host",
        ),
    ],
)
def test_bad_values_name_the_variable(call, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        call()


def _start(extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "DJANGO_"))}
    env.update({"BEACON_DATA_DIR": str(tmp_path), **extra})
    return subprocess.run(
        [sys.executable, "-m", "beacon", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_stops_on_a_bad_value_naming_it(tmp_path: Path) -> None:
    result = _start({"EMAIL_URL": "imap://mail.example"}, tmp_path)
    assert result.returncode != 0
    assert "EMAIL_URL must start with one of smtp://, smtps://, console://" in result.stderr


def test_start_up_generates_a_secret_key_once(tmp_path: Path) -> None:
    assert _start({}, tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert _start({}, tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def _setting(
    expression: str, extra: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """`expression` of the base settings, printed by a process with only `extra` set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update({"BEACON_DATA_DIR": str(tmp_path), **extra})
    code = f"from beacon.settings import base; print({expression})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def _web_threads(extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _setting("base.WEB_THREADS", extra, tmp_path)


def test_postgresql_connections_start_no_parallel_workers_unless_asked(tmp_path: Path) -> None:
    options = 'base.DATABASES["default"]["OPTIONS"]["options"]'
    url = "postgres://u@db.example:5432/beacon"
    default = _setting(options, {"DATABASE_URL": url}, tmp_path)
    assert default.stdout == "-c max_parallel_workers_per_gather=0\n"
    given = _setting(options, {"DATABASE_URL": url, "BEACON_PG_PARALLEL_WORKERS": "2"}, tmp_path)
    assert given.stdout == "-c max_parallel_workers_per_gather=2\n"
    own = _setting(options, {"DATABASE_URL": f"{url}?options=-c%20work_mem%3D64MB"}, tmp_path)
    assert own.stdout == "-c work_mem=64MB -c max_parallel_workers_per_gather=0\n"
    refused = _setting(options, {"DATABASE_URL": url, "BEACON_PG_PARALLEL_WORKERS": "-1"}, tmp_path)
    assert "BEACON_PG_PARALLEL_WORKERS must be at least 0" in refused.stderr


def test_connections_are_kept_and_web_threads_follow_the_engine(tmp_path: Path) -> None:
    from beacon.settings import base

    pg = base._database("postgres://u@db.example:5432/beacon")
    assert (pg["CONN_MAX_AGE"], pg["CONN_HEALTH_CHECKS"]) == (600, True)
    assert base._database(None)["CONN_MAX_AGE"] == 600
    assert _web_threads({}, tmp_path).stdout == "1\n"
    postgres = {"DATABASE_URL": "postgres://u@db.example:5432/beacon"}
    assert _web_threads(postgres, tmp_path).stdout == "4\n"
    assert _web_threads({"BEACON_WEB_THREADS": "8"}, tmp_path).stdout == "8\n"
    refused = _web_threads({"BEACON_WEB_THREADS": "0"}, tmp_path)
    assert "BEACON_WEB_THREADS must be at least 1" in refused.stderr
