"""Personas and journeys: the shared vocabulary, with owners shown, edited by admins only."""

from __future__ import annotations

from beacon.cxmodel.actions import do_add_need, do_create_persona
from beacon.cxmodel.models import Need, Stage
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in, page


def test_personas_with_their_needs(world: World, other_world: World) -> None:
    do_add_need(world.stage, "Fixed in one call", "No second call needed", owner=world.stage_owner,
                persona=world.persona)  # fmt: skip
    do_create_persona(other_world.org, "Globex shopper", "Shops at Globex", "Cheap")
    html = page(logged_in(world.owner), "/cx/personas/")
    assert "<h2>Busy professional</h2>" in html
    assert "<p>Needs things to just work</p>" in html
    assert "<p>A fix in one contact</p>" in html
    assert "<strong>Get help:</strong> Fixed in one call" in html
    assert "Success: No second call needed" in html
    assert "Accountable: <strong>Sam Stage</strong>" in html
    assert "Globex shopper" not in html


def test_journey_stages_in_order_with_inside_outside_owner_touchpoints_needs(
    world: World, other_world: World
) -> None:
    do_add_need(world.stage, "Reach a person quickly", "Answered within 2 minutes",
                owner=world.agent, persona=world.persona, metric="Wait time")  # fmt: skip
    do_add_need(other_world.stage, "Globex need", "Globex outcome", owner=other_world.agent)
    html = page(logged_in(world.owner), "/cx/journey/")
    outside = html.split(f'id="stage-{world.outside_stage.pk}"')[1].split("</li>\n    \n")[0]
    inside = html.split(f'id="stage-{world.stage.pk}"')[1]
    assert html.index("<h3>Compare offers</h3>") < html.index("<h3>Get help</h3>")
    assert "Outside the company" in outside and "Inside the company" not in outside
    assert "Accountable owner: <strong>Olive Owner</strong>" in outside
    assert "None: the customer is on their own here." in outside
    assert "Inside the company" in inside
    assert "Accountable owner: <strong>Sam Stage</strong>" in inside
    assert "Phone support · phone" in inside
    assert 'Reach a person quickly <span class="badge">Busy professional</span>' in inside
    assert "Success: Answered within 2 minutes" in inside
    assert "Measured by: Wait time" in inside
    assert "Accountable: <strong>Priya Agent</strong>" in inside
    assert "Globex need" not in html


def test_admin_adds_a_stage_with_its_owner(world: World) -> None:
    client = logged_in(world.stage_owner)  # an admin
    data = {
        "journey": str(world.stage.journey_id),
        "name": "Use at home",
        "owner": str(world.agent.pk),
        "description": "Living with it",
        "inside_company": "",
    }
    response = client.post("/cx/journey/stages/", data)
    assert response.status_code == 302 and response["Location"] == "/cx/journey/"
    stage = Stage.objects.get(name="Use at home")
    assert (stage.position, stage.owner_id, stage.inside_company) == (3, world.agent.pk, False)
    assert "Stage “Use at home” added, owned by Priya Agent." in page(client, "/cx/journey/")


def test_stage_without_owner_or_with_foreign_ids_is_refused(
    world: World, other_world: World
) -> None:
    client = logged_in(world.owner)
    journey = str(world.stage.journey_id)
    cases = [
        ({"journey": journey, "name": "No owner", "owner": ""},
         "owner: every stage needs one accountable owner"),
        ({"journey": journey, "name": "Their owner", "owner": str(other_world.owner.pk)},
         "owner: choose a member of this organisation"),
        ({"journey": str(other_world.stage.journey_id), "name": "Their journey",
          "owner": str(world.owner.pk)}, "journey: choose a journey of this organisation"),
        ({"journey": journey, "name": " ", "owner": str(world.owner.pk)},
         "name: must not be empty"),
    ]  # fmt: skip
    for data, message in cases:
        response = client.post("/cx/journey/stages/", data)
        assert response.status_code == 400
        assert f"<li>{message}</li>" in response.content.decode()
    assert Stage.objects.filter(journey_id=world.stage.journey_id).count() == 2
    assert Stage.objects.filter(journey_id=other_world.stage.journey_id).count() == 2


def test_admin_adds_a_need(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    data = {"stage": str(world.stage.pk), "persona": str(world.persona.pk),
            "owner": str(world.stage_owner.pk), "description": "Know the wait",
            "successful_outcome": "Told the wait time up front", "metric": "CES"}  # fmt: skip
    assert client.post("/cx/journey/needs/", data).status_code == 302
    need = Need.objects.get()
    assert (need.stage_id, need.persona_id, need.owner_id, need.metric) == (
        world.stage.pk, world.persona.pk, world.stage_owner.pk, "CES",
    )  # fmt: skip
    for bad, message in (
        ({"description": ""}, "description: must not be empty"),
        ({"owner": ""}, "owner: every need needs one accountable owner"),
        ({"stage": str(other_world.stage.pk)}, "stage: choose a stage of this organisation"),
        ({"persona": str(other_world.persona.pk)}, "persona: choose a persona of this org"),
    ):
        response = client.post("/cx/journey/needs/", {**data, **bad})
        assert response.status_code == 400
        assert f"<li>{message}" in response.content.decode()
    assert Need.objects.count() == 1


def test_non_admins_read_only(world: World) -> None:
    for member in (add_viewer(world), world.agent):
        client = logged_in(member)
        html = page(client, "/cx/journey/")
        assert "Add a stage" not in html and "Add a need" not in html
        data = {"journey": str(world.stage.journey_id), "name": "X", "owner": str(member.pk)}
        assert client.post("/cx/journey/stages/", data).status_code == 403
        assert client.post("/cx/journey/needs/", {"stage": str(world.stage.pk)}).status_code == 403
    assert Stage.objects.count() == 2 and Need.objects.count() == 0


def test_html_in_cx_names_is_escaped(world: World) -> None:
    do_create_persona(world.org, "<i>Sneaky</i>", "desc <b>x</b>", "needs")
    html = page(logged_in(world.owner), "/cx/personas/")
    assert "<h2>&lt;i&gt;Sneaky&lt;/i&gt;</h2>" in html and "desc &lt;b&gt;x&lt;/b&gt;" in html
