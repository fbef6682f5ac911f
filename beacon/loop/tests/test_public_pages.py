from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from beacon.loop.actions import (
    do_add_note,
    do_open_case_for,
    do_reply_to_customer,
    reply_token,
)
from beacon.loop.improvements import (
    ActionIn,
    do_create_action,
    do_publish_action,
    do_set_action_status,
)
from beacon.loop.models import CaseEvent, WallPost
from beacon.loop.sharing import (
    do_moderate_wall_post,
    do_record_survey_consent,
    do_set_wall,
    do_share_response,
)
from beacon.loop.tests.helpers import respond
from beacon.testing import World

pytestmark = pytest.mark.django_db


def _wall_with_posts(world: World) -> None:
    do_record_survey_consent(world.survey, "We may publish your comment without your name.")
    texts = {
        1: "Lovely <script>alert('x')</script> staff, email me at jo@example.com",
        2: "Pending comment never shown",
        3: "Rejected comment never shown",
    }
    for n, text in texts.items():
        do_share_response(respond(world, n, nps=9, comment=text))
    posts = {p.response.contact.external_id: p for p in WallPost.objects.all()}  # type: ignore[union-attr]
    do_moderate_wall_post(posts["cust-1"], approve=True, actor=world.owner,
                          public_reply="Thanks <b>Jo</b>!")  # fmt: skip
    do_moderate_wall_post(posts["cust-3"], approve=False, actor=world.owner)
    action = do_create_action(
        world.org.pk,
        ActionIn(title="Shorter queues", source="driver", driver="waiting time",
                 owner=world.stage_owner, deadline=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)),
    )  # fmt: skip
    do_set_action_status(action, "done", actor=world.stage_owner)
    do_publish_action(action, "We added two people at peak hours.", on_wall=True,
                      actor=world.stage_owner)  # fmt: skip


def test_wall_is_opt_in_and_shows_only_approved_redacted_escaped_posts(
    world: World, client: Client
) -> None:
    _wall_with_posts(world)
    assert client.get("/s/w/acme-telecom/").status_code == 404
    do_set_wall(world.org.pk, enabled=True, embeddable=False, headline="Acme listens")
    page = client.get("/s/w/acme-telecom/")
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Frame-Options"] == "DENY"
    assert "Acme listens" in html
    assert (
        "Lovely &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; staff, email me at [email]"
        in html
    )
    assert "jo@example.com" not in html and "<script>" not in html
    assert "Thanks &lt;b&gt;Jo&lt;/b&gt;!" in html
    assert "Pending comment" not in html and "Rejected comment" not in html
    assert "We added two people at peak hours." in html
    assert "Not enough answers in the last 90 days to show a score (3 so far)." in html
    assert client.get("/s/w/acme-telecom/embed/").status_code == 404
    do_set_wall(world.org.pk, enabled=True, embeddable=True)
    embed = client.get("/s/w/acme-telecom/embed/")
    assert embed.status_code == 200 and "X-Frame-Options" not in embed
    assert "[email]" in embed.content.decode()
    do_set_wall(world.org.pk, enabled=False, embeddable=True)
    assert client.get("/s/w/acme-telecom/embed/").status_code == 404


def test_another_orgs_wall_settings_do_not_open_this_wall(
    world: World, other_world: World, client: Client
) -> None:
    do_set_wall(other_world.org.pk, enabled=True, embeddable=True)
    assert client.get("/s/w/acme-telecom/").status_code == 404
    assert client.get("/s/w/globex-retail/").status_code == 200
    assert client.get("/s/w/nobody/").status_code == 404


def test_reply_page_shows_the_conversation_and_stores_the_answer_escaped(
    world: World, client: Client
) -> None:
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    do_add_note(case, "Internal: customer is grumpy", actor=world.agent)
    do_reply_to_customer(case, "We are sorry <i>truly</i>.", actor=world.agent)
    url = f"/s/r/{reply_token(case)}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "We are sorry &lt;i&gt;truly&lt;/i&gt;." in html
    assert "Internal: customer is grumpy" not in html
    empty = client.post(url, {"body": "  "})
    assert empty.status_code == 400
    assert "Your answer must not be empty." in empty.content.decode()
    sent = client.post(url, {"body": "<script>alert(1)</script>Fine now"})
    assert sent.status_code == 302 and sent["Location"] == f"{url}?sent=1"
    after = client.get(sent["Location"]).content.decode()
    assert "your answer has reached the team" in after
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Fine now" in after
    last = CaseEvent.objects.filter(case=case).last()
    assert last is not None and (last.kind, last.body) == (
        "customer", "<script>alert(1)</script>Fine now"
    )  # fmt: skip
    bad = client.get(f"/s/r/{reply_token(case)[:-3]}abc/")
    assert bad.status_code == 404
    assert "We can&#x27;t find this conversation" in bad.content.decode()
