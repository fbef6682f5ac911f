"""Key scopes and expiry, the member/invitation/key endpoints, the audit log and the docs."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from beacon.api.tests.conftest import Api, fields
from beacon.core import clock
from beacon.members.models import Invitation
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_create_api_key
from beacon.orgs.events import MemberEvent
from beacon.orgs.models import ApiKey, Department, Event, Membership, Role
from beacon.testing import World

pytestmark = pytest.mark.django_db


def key(world: World, *scopes: str, actor: Membership | None = None, **kw: Any) -> Api:
    return Api(do_create_api_key(world.org, "k", scopes=scopes, actor=actor, **kw).secret)


def patch(api: Api, path: str, body: Any) -> Any:
    return api.client.patch(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **api.headers
    )


def delete(api: Api, path: str) -> Any:
    return api.client.delete(f"/api/v1{path}", **api.headers)


def test_a_key_outside_its_scope_is_refused_with_403_naming_the_scope(world: World) -> None:
    reader, writer = key(world, "read"), key(world, "write")
    assert reader.get("/surveys").status_code == 200
    refused = reader.post("/interactions", {})
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "this API key lacks the 'write' scope that this request needs"
    }
    assert writer.get("/surveys").json() == {
        "detail": "this API key lacks the 'read' scope that this request needs"
    }
    members = key(world, "read", "write").get("/members")
    assert members.status_code == 403
    assert (
        members.json()["detail"] == "this API key lacks the 'admin' scope that this request needs"
    )
    assert key(world, "admin").get("/members").status_code == 200


def test_an_expired_key_is_refused_with_401_saying_it_expired(world: World) -> None:
    soon = clock.now() + dt.timedelta(hours=1)
    api = key(world, "read", expires_at=soon)
    assert api.get("/surveys").status_code == 200
    with clock.frozen_at(soon + dt.timedelta(seconds=1)):
        r = api.get("/surveys")
    assert r.status_code == 401
    assert r.json()["detail"] == (f"this API key expired at {soon.isoformat()}; create a new one")


def test_admin_keys_create_list_and_revoke_keys(world: World) -> None:
    admin = key(world, "admin", actor=world.owner)
    past = admin.post(
        "/api-keys", {"name": "old", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"}
    )
    assert past.status_code == 422 and fields(past) == {"expires_at": "must be in the future"}
    bad_scope = admin.post("/api-keys", {"name": "x", "scopes": ["root"]})
    assert bad_scope.status_code == 422 and "scopes.0" in fields(bad_scope)
    created = admin.post("/api-keys", {"name": "Help desk", "scopes": ["read"]})
    assert created.status_code == 201
    body = created.json()
    assert body["scopes"] == ["read"] and body["created_by_id"] == world.owner.pk
    stored = ApiKey.objects.get(pk=body["id"])
    assert (
        body["secret"].startswith(f"bk_{stored.prefix}_") and body["secret"] not in stored.key_hash
    )
    listed = admin.get("/api-keys").json()
    assert body["id"] in [k["id"] for k in listed] and all("secret" not in k for k in listed)
    new = Api(body["secret"])
    assert new.get("/surveys").status_code == 200
    assert delete(admin, f"/api-keys/{body['id']}").status_code == 204
    assert new.get("/surveys").json() == {"detail": "unknown or revoked API key"}


def test_admin_keys_manage_members_within_the_creators_rank(world: World) -> None:
    by_admin = key(world, "admin", actor=world.stage_owner)
    sales = Department.objects.for_org(world.org).get(name="Sales")
    r = patch(
        by_admin, f"/members/{world.agent.pk}", {"role": "analyst", "department_id": sales.pk}
    )
    assert r.status_code == 200
    assert (r.json()["role"], r.json()["department"]) == ("analyst", "Sales")
    assert fields(patch(by_admin, f"/members/{world.agent.pk}", {"role": "owner"})) == {
        "role": "you cannot grant a role above your own (admin)"
    }
    marketing = Department.objects.for_org(world.org).get(name="Marketing")
    half = patch(
        by_admin, f"/members/{world.agent.pk}", {"department_id": marketing.pk, "role": "owner"}
    )
    assert half.status_code == 422  # the role is refused, so the department does not move
    assert Membership.objects.get(pk=world.agent.pk).department == sales
    by_owner = key(world, "admin", actor=world.owner)
    last = patch(by_owner, f"/members/{world.owner.pk}", {"role": "admin"})
    assert last.status_code == 409 and "last owner" in last.json()["detail"]
    off = patch(by_owner, f"/members/{world.agent.pk}", {"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert Membership.objects.get(pk=world.agent.pk).deactivated_at is not None
    assert Event.objects.filter(verb=MemberEvent.DEACTIVATED, subject_id=world.agent.pk).exists()


def test_admin_keys_invite_and_revoke_invitations(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    admin = key(world, "admin", actor=world.owner)
    with django_capture_on_commit_callbacks():
        r = admin.post("/invitations", {"email": "Api.Person@acme.test", "role": "agent"})
    assert r.status_code == 201 and r.json()["email"] == "api.person@acme.test"
    assert OutboxMessage.objects.filter(recipient="api.person@acme.test").count() == 1
    taken = admin.post("/invitations", {"email": world.agent.email})
    assert taken.status_code == 422
    assert fields(taken) == {"email": f"{world.agent.email} is already a member of Acme Telecom"}
    assert [i["email"] for i in admin.get("/invitations").json()] == ["api.person@acme.test"]
    assert delete(admin, f"/invitations/{r.json()['id']}").status_code == 204
    assert Invitation.objects.get(pk=r.json()["id"]).revoked_at is not None


def test_the_audit_log_pages_by_cursor_and_filters(world: World) -> None:
    admin = key(world, "admin", actor=world.owner)
    for role in ("analyst", "viewer", "agent"):
        patch(admin, f"/members/{world.agent.pk}", {"role": role})
    everything = Event.objects.filter(organization=world.org).count()
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = admin.get("/audit", **params).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == everything and seen == sorted(seen, reverse=True)
    changes = admin.get("/audit", verb="member.role_changed", member_id=world.owner.pk).json()
    assert [(e["data"]["frm"], e["data"]["to"]) for e in changes["items"]] == [
        ("viewer", "agent"), ("analyst", "viewer"), ("agent", "analyst")
    ]  # fmt: skip
    assert changes["items"][0]["actor"] == "Olive Owner"
    assert admin.get("/audit", since="2999-01-01T00:00:00Z").json()["items"] == []
    assert fields(admin.get("/audit", cursor="abc")) == {
        "cursor": "Input should be a valid integer, unable to parse string as an integer"
    }


def test_another_organisations_ids_are_unknown_to_the_admin_endpoints(
    world: World, other_world: World
) -> None:
    admin = key(world, "admin", actor=world.owner)
    theirs = do_create_api_key(other_world.org, "theirs")
    assert patch(admin, f"/members/{other_world.agent.pk}", {"role": "viewer"}).status_code == 404
    assert delete(admin, f"/api-keys/{theirs.key.pk}").status_code == 404
    assert delete(admin, "/invitations/999999").status_code == 404
    assert admin.post("/invitations/999999/resend", {}).status_code == 404
    assert other_world.agent.pk not in [m["id"] for m in admin.get("/members").json()]
    assert theirs.key.pk not in [k["id"] for k in admin.get("/api-keys").json()]
    audit = admin.get("/audit", member_id=other_world.owner.pk)
    assert fields(audit) == {"member_id": "no such member in your organisation"}
    other_dept = Department.objects.for_org(other_world.org).first()
    assert other_dept is not None
    r = patch(admin, f"/members/{world.agent.pk}", {"department_id": other_dept.pk})
    assert fields(r) == {"department_id": "no such id in your organisation"}
    assert ApiKey.objects.get(pk=theirs.key.pk).revoked_at is None
    assert Membership.objects.get(pk=other_world.agent.pk).role == Role.AGENT


def test_the_docs_page_loads_only_local_static_files(db: None) -> None:
    client = Client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(urls) >= 3, html  # swagger-ui.css, swagger-ui-bundle.js, swagger-ui-init.js
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    assert all(u.startswith("/static/ninja/") for u in urls), urls
    assert "//" not in "".join(urls)  # no protocol-relative CDN address either
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Beacon API"
