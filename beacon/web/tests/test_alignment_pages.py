"""The alignment pages: roles, other organisations' rounds, bad input, the questionnaire."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from django.test import Client

from beacon.alignment.actions import do_answer, link_token
from beacon.alignment.models import Recipient, Reply, Round
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.core import clock
from beacon.cxmodel.models import Persona
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_add_member
from beacon.orgs.models import Department, Role
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in, page


def _analyst(world: World) -> Client:
    return logged_in(
        do_add_member(world.org, "analyst@acme.test", role=Role.ANALYST, display_name="Ana")
    )


def _send(client: Client, world: World, **fields: object) -> Any:
    data = {
        "title": "Q1 alignment",
        "journey": str(world.stage.journey_id),
        "closes_on": (clock.now() + dt.timedelta(days=10)).date().isoformat(),
        "audience": "all",
    } | fields
    return client.post("/cx/alignment/rounds/", data)


def test_an_admin_sends_a_round_and_reads_its_results_and_report(world: World) -> None:
    owner = logged_in(world.owner)
    assert "Send a round" in page(owner, "/cx/alignment/")
    response = _send(owner, world)
    round_ = Round.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cx/alignment/{round_.pk}/"
    assert Recipient.objects.filter(round=round_).count() == 3
    assert OutboxMessage.objects.filter(cause_type="alignment.recipient").count() == 3
    do_answer(recipient_of(round_, world), answer_in(world, overall=world.owner))
    html = page(owner, f"/cx/alignment/{round_.pk}/")
    assert "1 of 3 answered" in html
    assert "100% (100% to 100%, n=1)" in html  # every figure with its interval and n
    report = page(owner, f"/cx/alignment/{round_.pk}/report/")
    assert "Alignment report: Q1 alignment" in report and "Trend over rounds" in report
    # Not opted in: nobody's answers under their name, on the page or in the report.
    assert round_.show_names is False
    for shown in (html, report):
        assert "Priya Agent" not in shown and "Answers by person" not in shown
    assert "never by person." in report


PERSON_ROW = (
    '<tr><th scope="row">Priya Agent</th><td>No department</td><td>Agent</td>'
    "<td>Busy professional</td><td>Olive Owner</td><td>Olive Owner</td><td>Sam Stage</td></tr>"
)


def test_a_round_sent_with_names_shows_each_persons_answers_and_says_so(world: World) -> None:
    owner = logged_in(world.owner)
    assert 'name="show_names"' in page(owner, "/cx/alignment/")
    assert _send(owner, world, show_names="on").status_code == 302
    round_ = Round.objects.get()
    assert round_.show_names is True
    mail = OutboxMessage.objects.get(recipient=world.agent.user.email)
    named = "Your answers will be shown with your name to the organisation's admins and analysts"
    assert named in mail.body_text
    agent = recipient_of(round_, world)
    assert escape(named) in page(Client(), f"/alignment/{link_token(agent.nonce)}/")
    do_answer(agent, answer_in(world, overall=world.owner))
    results = page(owner, f"/cx/alignment/{round_.pk}/")
    report = page(_analyst(world), f"/cx/alignment/{round_.pk}/report/")
    for html in (results, report):
        assert "Answers by person" in html and PERSON_ROW in html


def recipient_of(round_: Round, world: World) -> Recipient:
    return Recipient.objects.get(round=round_, membership=world.agent)


def test_a_round_by_department_with_nobody_in_it_answers_400_and_sends_nothing(
    world: World,
) -> None:
    owner = logged_in(world.owner)
    empty = Department.objects.for_org(world.org).get(name="Marketing")
    response = _send(owner, world, audience="departments", departments=[str(empty.pk)])
    assert response.status_code == 400
    html = response.content.decode()
    assert "recipients: nobody was chosen; pick departments, teams or everyone" in html
    bad_date = _send(owner, world, closes_on="not a date")
    assert "closes_on: must be a date" in bad_date.content.decode()
    assert not Round.objects.exists() and not OutboxMessage.objects.exists()


def test_roles_analysts_read_admins_send_agents_and_viewers_see_nothing(world: World) -> None:
    issued = send_round(world)
    analyst = _analyst(world)
    assert "Send a round" not in page(analyst, "/cx/alignment/")
    page(analyst, f"/cx/alignment/{issued.round.pk}/")
    page(analyst, f"/cx/alignment/{issued.round.pk}/report/")
    assert _send(analyst, world).status_code == 403
    persona = str(world.persona.pk)
    assert analyst.post("/cx/alignment/primary/", {"persona": persona}).status_code == 403
    assert analyst.post(f"/cx/alignment/{issued.round.pk}/close/").status_code == 403
    for client in (logged_in(world.agent), logged_in(add_viewer(world))):
        for url in ("/cx/alignment/", f"/cx/alignment/{issued.round.pk}/",
                    f"/cx/alignment/{issued.round.pk}/report/"):  # fmt: skip
            page(client, url, expect=403)
    assert Round.objects.get().status == "open" and Round.objects.count() == 1


def test_another_organisations_round_is_not_found(world: World, other_world: World) -> None:
    theirs = send_round(other_world).round
    owner = logged_in(world.owner)
    for url in (f"/cx/alignment/{theirs.pk}/", f"/cx/alignment/{theirs.pk}/report/"):
        page(owner, url, expect=404)
    assert owner.post(f"/cx/alignment/{theirs.pk}/close/").status_code == 404
    theirs_persona = str(other_world.persona.pk)
    response = owner.post("/cx/alignment/primary/", {"persona": theirs_persona})
    assert response.status_code == 400
    assert "persona: choose a persona of this organisation" in response.content.decode()
    assert not Persona.objects.filter(primary=True).exists()
    assert "Spring alignment" not in page(owner, "/cx/alignment/")


def test_an_admin_sets_the_primary_persona_and_closes_a_round(world: World) -> None:
    owner = logged_in(world.owner)
    issued = send_round(world)
    owner.post("/cx/alignment/primary/", {"persona": str(world.persona.pk)})
    assert Persona.objects.get(primary=True) == world.persona
    assert owner.post(f"/cx/alignment/{issued.round.pk}/close/").status_code == 302
    assert Round.objects.get().status == "closed"


def _answers(world: World, **changes: str) -> dict[str, str]:
    data = {
        "persona_1": str(world.persona.pk),
        "overall": "dont_know",
        f"stage_{world.outside_stage.pk}_accountable": str(world.owner.pk),
        f"stage_{world.stage.pk}_accountable": "nobody",
        f"stage_{world.stage.pk}_need_text": "A fix in one call",
    }
    return data | changes


def test_the_questionnaire_from_the_link_saves_and_shows_the_answers_again(
    world: World,
) -> None:
    issued = send_round(world)
    url = f"/alignment/{issued.tokens[world.agent.pk]}/"
    visitor = Client()  # no sign-in: the link is the key
    html = page(visitor, url)
    assert "Who are we making this for?" in html and "Stage 2: Get help" in html
    assert "Your answers are shown only by department and role, never with your name." in html
    done = visitor.post(url, _answers(world))
    assert done.status_code == 302 and done["Location"] == url
    again = page(visitor, url)
    assert "your answers are saved" in again and "You have answered." in again
    assert f'<option value="{world.persona.pk}" selected>' in again
    reply = Reply.objects.get()
    assert (reply.persona_1_id, reply.overall_id, reply.role) == (world.persona.pk, None, "agent")
    # Answering again replaces the answers: still one reply.
    visitor.post(url, _answers(world, overall=str(world.owner.pk)))
    assert list(Reply.objects.values_list("overall_id", flat=True)) == [world.owner.pk]


def test_bad_questionnaire_input_answers_400_naming_the_field(
    world: World, other_world: World
) -> None:
    issued = send_round(world)
    url = f"/alignment/{issued.tokens[world.agent.pk]}/"
    visitor = Client()
    field = f"stage_{world.stage.pk}_accountable"
    for changes, message in (
        ({"overall": str(other_world.owner.pk)}, "overall: choose a member of this organisation"),
        ({field: "²"}, f"{field}: choose a member of this organisation, nobody"),
        ({"persona_1": ""}, "personas: choose at least one persona, or describe"),
    ):
        response = visitor.post(url, _answers(world, **changes))
        assert response.status_code == 400, changes
        assert message in response.content.decode()
    assert not Reply.objects.exists()


def test_a_closed_round_or_unknown_link_takes_no_answers(world: World) -> None:
    issued = send_round(world, days=1)
    url = f"/alignment/{issued.tokens[world.agent.pk]}/"
    assert Client().get("/alignment/not-a-token/").status_code == 404
    with clock.frozen_at(clock.now() + dt.timedelta(days=2)):
        closed = Client().post(url, _answers(world))
    assert closed.status_code == 410
    assert "answers are no longer taken" in closed.content.decode()
    assert not Reply.objects.exists()
    do_answer(recipient(issued, world.owner), answer_in(world))  # still open now
    assert Reply.objects.count() == 1
