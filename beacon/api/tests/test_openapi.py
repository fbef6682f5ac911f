"""The checked-in schema matches the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from beacon.api.management.commands.openapi import DEFAULT_PATH, schema_text


def test_checked_in_schema_is_current() -> None:
    call_command("openapi", "--check")


def test_check_fails_with_a_diff_when_the_file_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(DEFAULT_PATH.read_text().replace('"title": "Beacon API"', '"title": "Old"'))
    with pytest.raises(CommandError, match="out of date"):
        call_command("openapi", "--check", "--output", str(stale))
    err = capsys.readouterr().err
    assert '-    "title": "Old",' in err and '+    "title": "Beacon API",' in err


def test_writes_sorted_indented_schema(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "openapi.json"
    call_command("openapi", "--output", str(out))
    text = out.read_text()
    assert text == schema_text()
    schema = json.loads(text)
    assert text == json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert schema["info"]["title"] == "Beacon API" and schema["info"]["version"] == "1"
    # The whole path list is pinned by the checked-in file; these are the core endpoints.
    assert {
        "/api/v1/interactions", "/api/v1/responses", "/api/v1/surveys", "/api/v1/metrics/summary"
    } <= set(schema["paths"])  # fmt: skip
    assert schema["components"]["securitySchemes"] == {
        "ApiKeyAuth": {"scheme": "bearer", "type": "http"}
    }
