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
from beacon.web.tests.helpers import logged_in, page

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
        assert "which is not a public internet address" in exc.value.errors["url"]
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


# Addresses that are neither private nor loopback but still not on the public internet:
# shared address space (carrier NAT, and the metadata service of some clouds), benchmark
# and IETF ranges, and IPv6 forms that carry an internal IPv4 address inside them.
NOT_GLOBAL = (
    "http://100.64.0.1/hook",
    "http://100.100.100.200/latest/meta-data",
    "http://198.18.0.1/x",
    "http://192.0.0.170/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[::ffff:100.64.0.1]/x",
    "http://[64:ff9b::a9fe:a9fe]/x",
    "http://[2002:a9fe:a9fe::1]/x",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",
)


@pytest.mark.parametrize("kind", ["slack", "teams", "webhook"])
def test_every_address_that_is_not_globally_routable_is_refused_for_every_kind(
    world: World, settings: Any, kind: str
) -> None:
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = False
    for url in NOT_GLOBAL:
        with pytest.raises(ValidationFailed) as exc:
            do_create_channel(world.org.pk, name="x", kind=kind, url=url, event="case")
        assert "is not a public internet address" in exc.value.errors["url"], url
    assert not Channel.objects.exists()
    assert destination_problem("http://8.8.8.8/x", allow_private=False) is None
    assert destination_problem("http://[2001:4860:4860::8888]/x", allow_private=False) is None


def test_a_host_that_does_not_resolve_is_saved_checked_at_send_time_and_logged(
    world: World, settings: Any
) -> None:
    """A chat service's host may not resolve at the moment of saving (DNS down, a receiver
    not set up yet): the channel is saved, and every post checks the host again."""
    settings.BEACON_WEBHOOK_ALLOW_PRIVATE = False
    client = logged_in(world.owner)
    url = "https://hooks.beacon-test.invalid/services/T1"
    saved = client.post("/loop/channels/", {"name": "Ops", "kind": "slack", "url": url,
                                            "event": "case"})  # fmt: skip
    assert saved.status_code == 200
    channel = Channel.objects.get(organization=world.org)
    assert (channel.name, channel.url) == ("Ops", url)
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    assert _deliver_all() == ["pending"]
    log = page(client, "/loop/channels/").split('<h2 id="log-')[1]
    assert case.title in log
    assert '<span class="badge badge-pending">Pending</span>' in log
    assert "DestinationRefused: webhook URL host hooks.beacon-test.invalid does not resolve" in log
    # Still refused when saving: a name that cannot be a host, and literal internal addresses.
    for bad, message in (
        ("https://hooks_beacon.invalid/x", "host hooks_beacon.invalid is not a valid host name"),
        ("http://10.0.0.1/x", "host 10.0.0.1 resolves to 10.0.0.1, which is not a public"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            do_create_channel(world.org.pk, name="x", kind="teams", url=bad, event="case")
        assert exc.value.errors["url"].startswith(message)
    assert destination_problem(url) == "host hooks.beacon-test.invalid does not resolve"
    assert destination_problem(url, unresolved_ok=True) is None


def test_the_channels_log_is_the_organisations_own(world: World, other_world: World) -> None:
    do_create_channel(world.org.pk, name="Ops", kind="teams",
                      url="https://hooks.beacon-test.invalid/a", event="case")  # fmt: skip
    do_open_case_for(respond(world, 1, nps=2))
    other = page(logged_in(other_world.owner), "/loop/channels/")
    assert "Ops" not in other and "No channels." in other
