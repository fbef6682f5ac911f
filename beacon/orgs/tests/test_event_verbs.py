"""Every event verb is a member of an app's enum, and the audit log can list them all."""

from __future__ import annotations

import ast
from pathlib import Path

import beacon
from beacon.orgs.events import EventVerb, all_verbs

APPS = ("orgs", "notifications", "cxmodel", "contacts", "surveys", "responses", "insights",
        "loop", "analytics")  # fmt: skip


def test_all_verbs_lists_every_apps_verbs_once() -> None:
    verbs = all_verbs()
    assert len(verbs) == len(set(verbs))
    enums = {enum.__module__: enum for enum in EventVerb.__subclasses__()}
    assert {f"beacon.{app}.events" for app in APPS} <= set(enums)
    for enum in enums.values():
        assert {v.value for v in enum} <= set(verbs)
    assert "theme.created" in verbs and "case.opened" in verbs and "org.updated" in verbs
    assert len(verbs) == sum(len(enum) for enum in enums.values())


def test_only_events_modules_call_record_event() -> None:
    """Writes record through their app's event functions, never with a free-string verb."""
    root = Path(beacon.__file__).parent
    callers = []
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or path.name == "events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_event":
                callers.append(f"{path.relative_to(root)}:{node.lineno}")
    assert callers == []
