from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beacon.core.errors import ValidationFailed
from beacon.loop.actions import do_open_case_for
from beacon.loop.channels import do_create_channel
from beacon.loop.models import Channel
from beacon.loop.sharing import do_share_response
from beacon.loop.tests.helpers import HookServer, respond
from beacon.notifications.actions import do_deliver
from beacon.notifications.models import OutboxMessage
from beacon.notifications.transports.webhook import destination_problem
from beacon.testing import World

pytestmark = pytest.mark.django_db


def _channel(world: World, hooks: HookServer, kind: str, event: str, **kw: Any) -> Channel:
    channel = do_create_channel(
        world.org.pk, name=f"{kind} {event}", kind=kind, url=hooks.url(f"/{kind}/{event}"),
        event=event, **kw,
    )  # fmt: skip
    hooks.secrets[f"/{kind}/{event}"] = channel.secret
    return channel


def _deliver_all() -> list[str]:
    ids = (
        OutboxMessage.objects.exclude(transport="email").order_by("pk").values_list("pk", flat=True)
    )
    return [do_deliver(pk) for pk in ids]


def test_cases_and_verbatims_reach_slack_teams_and_a_signed_webhook(
    world: World, hooks: HookServer
) -> None:
    _channel(world, hooks, "slack", "case")
    _channel(world, hooks, "teams", "verbatim", keyword="refund")
    _channel(world, hooks, "webhook", "case", max_score=3)
    response = respond(world, 1, nps=2, comment="Refund me, mail me at jo@example.com")
    case = do_open_case_for(response)
    do_share_response(response)
    assert case is not None
    assert _deliver_all() == ["sent", "sent", "sent"]
    by_path = {r.path: r for r in hooks.received}
    assert sorted(by_path) == ["/slack/case", "/teams/verbatim", "/webhook/case"]
    assert all(r.signature_ok for r in hooks.received)
    assert by_path["/slack/case"].json == {
        "text": f"{case.title}\n“Refund me, mail me at [email]”\n"
        f"{settings.BASE_URL}/cases/{case.pk}/"
    }
    assert "jo@example.com" not in by_path["/slack/case"].body.decode()
    assert by_path["/teams/verbatim"].json["title"] == "Customer 1 on Support follow-up"
    hook = by_path["/webhook/case"].json
    assert (hook["event"], hook["id"], hook["scores"], hook["comment"]) == (
        "case.created", case.pk, {"nps": 2}, "Refund me, mail me at [email]"
    )  # fmt: skip
    assert by_path["/webhook/case"].headers["X-Beacon-Timestamp"].isdigit()
    assert "X-Beacon-Signing-Secret" not in by_path["/webhook/case"].headers


def test_a_post_is_written_once_with_its_transport(world: World, hooks: HookServer) -> None:
    _channel(world, hooks, "teams", "case")
    response = respond(world, 1, nps=2)
    with CaptureQueriesContext(connection) as queries:
        case = do_open_case_for(response)
    assert case is not None
    outbox = [q["sql"] for q in queries if "notifications_outboxmessage" in q["sql"]]
    assert [sql.split()[0] for sql in outbox] == ["INSERT", "INSERT"]  # the case email, the post
    assert list(OutboxMessage.objects.order_by("pk").values_list("transport", flat=True)) == [
        "email", "teams"
    ]  # fmt: skip


def test_filters_keep_quiet_responses_out(world: World, hooks: HookServer) -> None:
    _channel(world, hooks, "webhook", "verbatim", max_score=3, keyword="refund")
    do_share_response(respond(world, 1, nps=2, comment="slow delivery"))
    do_share_response(respond(world, 2, nps=9, comment="refund was quick"))
    do_share_response(respond(world, 3, nps=1))  # no comment: no verbatim
    assert OutboxMessage.objects.exclude(transport="email").count() == 0


def test_a_bad_signature_or_a_down_receiver_is_retried(world: World, hooks: HookServer) -> None:
    channel = _channel(world, hooks, "webhook", "case")
    hooks.secrets["/webhook/case"] = "not the channel's secret"
    do_open_case_for(respond(world, 1, nps=2))
    assert _deliver_all() == ["pending"]
    message = OutboxMessage.objects.get(transport="webhook")
    assert message.last_error == "RuntimeError: webhook answered HTTP 401"
    assert hooks.received[0].signature_ok is False
    assert channel.secret != "not the channel's secret"


def test_private_addresses_are_refused_unless_allowed(world: World, settings: Any) -> None:
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:9/hook", "http://10.1.2.3/x", "http://localhost/x",
                "http://[::1]/x", "http://169.254.169.254/latest/meta-data"):  # fmt: skip
        with pytest.raises(ValidationFailed) as exc:
            do_create_channel(world.org.pk, name="x", kind="webhook", url=url, event="case")
        assert "resolves to the private address" in exc.value.errors["url"]
        assert "BEACON_WEBHOOK_ALLOW_PRIVATE=true" in exc.value.errors["url"]
    with pytest.raises(ValidationFailed) as exc:
        do_create_channel(world.org.pk, name="", kind="fax", url="ftp://x", event="all")
    assert exc.value.errors == {
        "name": "must not be empty",
        "kind": "must be one of slack, teams, webhook",
        "event": "must be one of case, verbatim",
        "url": "must start with http:// or https://",
    }
    assert destination_problem("http://127.0.0.1/x", allow_private=True) is None


def test_send_time_check_refuses_a_url_that_became_private(
    world: World, hooks: HookServer, settings: Any
) -> None:
    _channel(world, hooks, "slack", "case")
    do_open_case_for(respond(world, 1, nps=2))
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = False
    assert _deliver_all() == ["pending"]
    message = OutboxMessage.objects.get(transport="slack")
    assert message.last_error.startswith("DestinationRefused: webhook URL host 127.0.0.1")
    assert hooks.received == []
