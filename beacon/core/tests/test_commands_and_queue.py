"""The `beacon` commands for people, and the job queue on real Redis."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command
from huey import PriorityRedisHuey

from beacon.orgs.models import Membership, Organization
from beacon.settings.base import _huey

pytestmark = pytest.mark.django_db


def test_createorg_and_createuser() -> None:
    call_command("createorg", "Contoso Bank", owner="boss@contoso.test", password="s3cret-pass")
    org = Organization.objects.get(slug="contoso-bank")
    owner = Membership.objects.for_org(org).get()
    assert (owner.role, owner.user.username) == ("owner", "boss@contoso.test")
    assert owner.user.check_password("s3cret-pass")
    call_command(
        "createuser", "contoso-bank", "ann@contoso.test", role="agent", password="pw-123456"
    )
    assert Membership.objects.for_org(org).get(user__username="ann@contoso.test").role == "agent"
    with pytest.raises(CommandError, match="no organisation with slug 'nope'"):
        call_command("createuser", "nope", "x@y.test", password="pw-123456")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createorg", "Contoso Bank", owner="b@contoso.test", password="pw-123456")


def test_jobs_go_through_real_redis_when_redis_url_is_set() -> None:
    config = _huey("redis://127.0.0.1:6379/0", immediate=False)
    assert (config["huey_class"], config["name"]) == (
        "huey.PriorityRedisHuey",
        "beacon-by-priority",
    )
    huey = PriorityRedisHuey(name=f"beacon-test-{uuid.uuid4().hex}", url=config["url"])
    try:

        @huey.task()  # type: ignore[untyped-decorator]
        def add(a: int, b: int) -> int:
            return a + b

        result = add(2, 3)
        assert huey.pending_count() == 1
        task = huey.dequeue()
        assert task is not None
        huey.execute(task)
        assert result.get() == 5
    finally:
        huey.storage.flush_all()
