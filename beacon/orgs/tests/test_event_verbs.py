"""Every event verb is a member of an app's enum, and the audit log can list them all."""

from __future__ import annotations

import ast
from pathlib import Path

import beacon
from beacon.orgs.events import EventVerb, all_verbs

APPS = ("orgs", "notifications", "cxmodel", "contacts", "surveys", "responses", "insights",
        "loop", "analytics")  # fmt: skip


def test_all_verbs_lists_every_apps_verbs() -> None:
    verbs = all_verbs()
    assert len(verbs) == len(set(verbs))
    enums = {enum.__module__: enum for enum in EventVerb.__subclasses__()}
    assert {f"beacon.{app}.events" for app in APPS} <= set(enums)
    for enum in enums.values():
        assert {v.value for v in enum} <= set(verbs)
    assert "theme.created" in verbs and "case.opened" in verbs and "org.updated" in verbs
    assert verbs == sorted(verbs)


def test_no_event_verb_is_a_free_string() -> None:
    """A verb is an enum member (usually through the app's event function), never a string
    literal or an f-string typed at the call."""
    root = Path(beacon.__file__).parent
    free = []
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "record_event"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant | ast.JoinedStr | ast.IfExp)
            ):
                free.append(f"{path.relative_to(root)}:{node.lineno}")
    assert free == []
