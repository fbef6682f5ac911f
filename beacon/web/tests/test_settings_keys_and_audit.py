"""Settings → API keys (secret shown once, revoke at once) and Settings → Audit log."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from beacon.orgs.actions import do_add_member, do_change_role, do_create_api_key
from beacon.orgs.models import ApiKey, Event, Role
from beacon.testing import World
from beacon.web.tests.helpers import logged_in


def test_an_admin_creates_a_key_sees_it_once_uses_it_and_revokes_it(world: World) -> None:
    admin = logged_in(world.stage_owner)
    page = admin.get("/settings/api-keys/").content.decode()
    assert "test key" in page and "bk_" + ApiKey.objects.get(name="test key").prefix in page
    created = admin.post(
        "/settings/api-keys/", {"name": "Help desk", "scopes": ["read"], "expires_on": ""}
    )
    assert created.status_code == 201
    secret = re.search(r'id="secret" readonly size="60" value="([^"]+)"', created.content.decode())
    assert secret, created.content.decode()
    key = ApiKey.objects.get(name="Help desk")
    assert (key.scopes, key.created_by, key.expires_at) == (["read"], world.stage_owner, None)
    assert secret.group(1) not in admin.get("/settings/api-keys/").content.decode()

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret.group(1)}")
    assert api.get("/api/v1/surveys").status_code == 200
    assert api.post("/api/v1/interactions", {}, content_type="application/json").status_code == 403
    listed = admin.get("/settings/api-keys/").content.decode()
    assert "never" not in re.search(r"Help desk</th>.*?</tr>", listed, re.S).group(0)  # type: ignore[union-attr]

    assert admin.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/surveys").status_code == 401
    assert Event.objects.filter(verb="apikey.revoked", subject_id=key.pk).count() == 1


def test_key_form_errors_come_back_on_the_form(world: World) -> None:
    admin = logged_in(world.owner)
    r = admin.post("/settings/api-keys/", {"name": "", "scopes": [], "expires_on": "2020-01-01"})
    html = r.content.decode()
    assert r.status_code == 400 and "This field is required." in html
    past = admin.post(
        "/settings/api-keys/", {"name": "x", "scopes": ["read"], "expires_on": "2020-01-01"}
    )
    assert past.status_code == 400 and "must be in the future" in past.content.decode()
    junk = admin.post("/settings/api-keys/", {"name": "x", "scopes": ["root"]})
    assert junk.status_code == 400 and "Select a valid choice" in junk.content.decode()
    assert ApiKey.objects.filter(organization=world.org).count() == 1  # the world's own


def test_the_expiry_day_is_the_organisations_day(world: World) -> None:
    world.org.timezone = "Europe/Berlin"
    world.org.save()
    admin = logged_in(world.owner)
    admin.post("/settings/api-keys/", {"name": "t", "scopes": ["read"], "expires_on": "2099-06-30"})
    expires = ApiKey.objects.get(name="t").expires_at
    assert expires is not None and expires.isoformat() == "2099-06-30T22:00:00+00:00"


def test_the_audit_log_filters_pages_and_exports(world: World) -> None:
    for role in ("analyst", "viewer", "agent"):
        do_change_role(world.agent, role, actor=world.owner)
    owner = logged_in(world.owner)
    page = owner.get(
        "/settings/audit/", {"verb": "member.role_changed", "member": str(world.owner.pk)}
    )
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<code>member.role_changed</code>") == 3
    assert '<option value="member.role_changed" selected>' in html
    # every verb present in the log is offered, none that is not
    offered = set(re.findall(r'<option value="([a-z_]+\.[a-z_]+)"', html))
    assert offered == set(
        Event.objects.filter(organization=world.org).values_list("verb", flat=True)
    )

    bad = owner.get("/settings/audit/", {"date_from": "2026-13-01", "verb": "nope"})
    assert bad.status_code == 400
    assert "Enter a valid date." in bad.content.decode()
    assert "Select a valid choice." in bad.content.decode()
    backwards = owner.get("/settings/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "must be on or after the From date" in backwards.content.decode()

    export = owner.get("/settings/audit.csv", {"verb": "member.role_changed"})
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == ["when", "member", "verb", "object_type", "object_id", "data"]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("Olive Owner", "member.role_changed", "orgs.membership", str(world.agent.pk),
         f'{{"frm": "{frm}", "to": "{to}"}}')
        for frm, to in (("viewer", "agent"), ("analyst", "viewer"), ("agent", "analyst"))
    ]  # fmt: skip


def test_the_audit_log_pages_fifty_events_at_a_time(world: World) -> None:
    for i in range(40):
        do_change_role(world.agent, ("viewer", "agent")[i % 2], actor=world.owner)
    owner = logged_in(world.owner)
    ids = list(
        Event.objects.filter(organization=world.org).order_by("-pk").values_list("pk", flat=True)
    )
    assert len(ids) > 50
    first = owner.get("/settings/audit/").content.decode()
    assert "Page 1 of 2" in first and first.count("<tr><td><time") == 50
    second = owner.get("/settings/audit/", {"page": 2}).content.decode()
    assert second.count("<tr><td><time") == len(ids) - 50
    assert "Page 2 of 2" in owner.get("/settings/audit/", {"page": 999}).content.decode()
    assert owner.get("/settings/audit/", {"page": "x"}).status_code == 400


def test_csv_cells_that_look_like_formulas_are_defused(world: World) -> None:
    evil = do_add_member(world.org, "evil@acme.test", role=Role.ADMIN, display_name="=HYPERLINK(1)")
    do_change_role(world.agent, "viewer", actor=evil)
    export = logged_in(world.owner).get("/settings/audit.csv", {"member": evil.pk})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_another_organisations_ids_are_unknown_on_keys_and_audit(
    world: World, other_world: World
) -> None:
    theirs = do_create_api_key(other_world.org, "theirs").key
    owner = logged_in(world.owner)
    assert owner.post(f"/settings/api-keys/{theirs.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert "theirs" not in owner.get("/settings/api-keys/").content.decode()
    foreign = owner.get("/settings/audit/", {"member": other_world.owner.pk})
    assert foreign.status_code == 400 and "Select a valid choice" in foreign.content.decode()
    assert "Globex" not in owner.get("/settings/audit/").content.decode()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.VIEWER])
def test_only_owners_and_admins_see_keys_and_the_audit_log(world: World, role: str) -> None:
    client = logged_in(do_add_member(world.org, f"{role}@acme.test", role=role, display_name=role))
    key = ApiKey.objects.get(name="test key")
    for url in ("/settings/api-keys/", "/settings/audit/", "/settings/audit.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post("/settings/api-keys/", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.filter(organization=world.org).count() == 1
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
