"""Staff pages of text analytics: roles, other organisations' ids, corrections, redaction."""

from __future__ import annotations

import pytest

from beacon.insights.models import Correction, CorrectionKind, Theme, ThemeMention
from beacon.insights.taxonomy import do_adopt_starter, do_create_theme
from beacon.insights.tests.test_analysis import comment_of, insight_of, respond
from beacon.orgs.actions import do_add_member
from beacon.orgs.models import Membership, Role
from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import add_viewer, embedded_json, logged_in, page

pytestmark = pytest.mark.django_db

PII = "Charged twice, call me on +44 20 7946 0958 or mail jo@home.example"
MASKED = "Charged twice, call me on [phone] or mail [email]"


def add_analyst(world: World) -> Membership:
    return do_add_member(
        world.org,
        f"analyst@{world.org.slug}.test",
        role=Role.ANALYST,
        display_name="Ana Analyst",
        password=PASSWORD,
    )


def test_themes_can_be_adopted_added_and_edited_by_analysts_only(
    world: World, other_world: World
) -> None:
    analyst = logged_in(add_analyst(world))
    viewer = logged_in(add_viewer(world))
    r = analyst.post("/insights/themes/", {"action": "adopt", "industry": "telecom"})
    assert r.status_code == 302
    assert Theme.objects.filter(organization=world.org).count() == 7
    r = analyst.post(
        "/insights/themes/",
        {"action": "create", "name": "Roaming", "description": "Abroad", "phrases": "abroad\n\n"},
    )
    assert r.status_code == 302
    roaming = Theme.objects.get(organization=world.org, name="Roaming")
    assert roaming.phrases == ["abroad"]
    # Bad input: the form again, naming the field; nothing written.
    r = analyst.post("/insights/themes/", {"action": "create", "name": " "})
    assert r.status_code == 400 and "name: is required" in r.content.decode()
    r = analyst.post("/insights/themes/", {"action": "adopt", "industry": "mining"})
    assert r.status_code == 400 and "industry: must be one of" in r.content.decode()
    assert Theme.objects.filter(organization=world.org).count() == 8
    r = analyst.post(
        f"/insights/themes/{roaming.pk}/",
        {"name": "Roaming abroad", "description": "Using the phone abroad", "phrases": "a\nb"},
    )
    assert r.status_code == 302
    roaming.refresh_from_db()
    assert (roaming.name, roaming.phrases, roaming.active) == ("Roaming abroad", ["a", "b"], False)
    r = analyst.post(f"/insights/themes/{roaming.pk}/", {"name": "Billing", "active": "on"})
    assert r.status_code == 400 and "a theme with this name already exists" in r.content.decode()
    # Viewers read but do not change.
    assert "Roaming abroad" in page(viewer, "/insights/themes/")
    assert 'name="industry"' not in page(viewer, "/insights/themes/")
    assert viewer.post("/insights/themes/", {"name": "Mine"}).status_code == 403
    assert viewer.post(f"/insights/themes/{roaming.pk}/", {"name": "Mine"}).status_code == 403
    # Another organisation's theme does not exist for this one.
    foreign = do_create_theme(other_world.org, "Secret")
    page(analyst, f"/insights/themes/{foreign.pk}/", expect=404)
    assert analyst.post(f"/insights/themes/{foreign.pk}/", {"name": "Taken"}).status_code == 404
    assert Theme.objects.get(pk=foreign.pk).name == "Secret"


def test_verbatim_page_corrects_themes_and_sentiment_and_masks_by_role(
    world: World, other_world: World
) -> None:
    do_adopt_starter(world.org, "telecom")
    response = respond(world, PII, nps=2)
    answer = comment_of(response)
    url = f"/insights/verbatims/{answer.pk}/"
    analyst = add_analyst(world)
    viewer = add_viewer(world)
    assert PII in page(logged_in(world.owner), url)
    assert PII in page(logged_in(world.agent), url)
    for member in (analyst, viewer):
        html = page(logged_in(member), url)
        assert MASKED in html and "7946" not in html and "jo@home" not in html
    # The shared feed and overview follow the same rule, and link to the page.
    feed = page(logged_in(viewer), "/verbatims/")
    assert MASKED in feed and "7946" not in feed and f'href="{url}"' in feed
    assert PII in page(logged_in(world.agent), "/verbatims/")
    overview = page(logged_in(analyst), "/")
    assert MASKED in overview and "7946" not in overview
    assert PII in page(logged_in(world.owner), "/")
    # Agents correct; viewers may not.
    billing = Theme.objects.get(organization=world.org, name="Billing")
    staff = Theme.objects.get(organization=world.org, name="Staff friendliness")
    agent = logged_in(world.agent)
    r = agent.post(url, {"action": "theme", "theme": billing.pk, "sentiment": "remove"})
    assert r.status_code == 302
    r = agent.post(url, {"action": "theme", "theme": staff.pk, "sentiment": "mixed"})
    assert r.status_code == 302
    r = agent.post(url, {"action": "sentiment", "sentiment": "neutral"})
    assert r.status_code == 302
    assert dict(
        ThemeMention.objects.filter(answer=answer).values_list("theme__name", "sentiment")
    ) == {"Staff friendliness": "mixed"}
    assert insight_of(response).sentiment == "neutral"
    assert list(
        Correction.objects.filter(answer=answer).order_by("pk").values_list("kind", flat=True)
    ) == [CorrectionKind.THEME_REMOVED, CorrectionKind.THEME_ADDED, CorrectionKind.SENTIMENT]
    r = agent.post(url, {"action": "sentiment", "sentiment": "furious"})
    assert r.status_code == 400 and "sentiment: must be one of" in r.content.decode()
    foreign_theme = do_create_theme(other_world.org, "Secret")
    r = agent.post(url, {"action": "theme", "theme": foreign_theme.pk, "sentiment": "positive"})
    assert r.status_code == 400 and "theme: choose an active theme" in r.content.decode()
    r = logged_in(viewer).post(url, {"action": "sentiment", "sentiment": "positive"})
    assert r.status_code == 403
    assert Correction.objects.filter(answer=answer).count() == 3
    # Another organisation's staff get 404 for this comment, reading or writing.
    outsider = logged_in(other_world.owner)
    page(outsider, url, expect=404)
    assert outsider.post(url, {"action": "sentiment", "sentiment": "positive"}).status_code == 404
    assert Correction.objects.filter(answer=answer).count() == 3


def test_theme_chart_praise_suggestions_and_emerging_pages(
    world: World, other_world: World
) -> None:
    do_adopt_starter(world.org, "telecom")
    respond(world, "I was charged twice on my bill", nps=2)
    respond(world, "Priya was fantastic, so patient and helpful. Thank you!", nps=10)
    for place in ["car park", "car park entrance", "car park barrier", "car park at night"]:
        respond(world, f"The {place} was full and the barrier was stuck")
    owner = logged_in(world.owner)
    html = page(owner, "/insights/")
    chart = embedded_json(html, "theme-data")
    assert chart["label"] == "NPS by theme"
    by_label = {row["label"]: row["n"] for row in chart["rows"]}
    assert by_label["Billing"] == 1
    assert "not enough answers" in html
    praise = page(owner, "/insights/praise/")
    assert "Priya" in praise and "so patient and helpful" in praise
    assert "Priya" not in page(logged_in(other_world.owner), "/insights/praise/")
    suggested = page(owner, "/insights/suggested/")
    assert "The car park" in suggested
    viewer = logged_in(add_viewer(world))
    assert "Make it a theme" not in page(viewer, "/insights/suggested/")
    r = owner.post("/insights/suggested/", {"name": "Parking", "phrase": ["car park", "parking"]})
    assert r.status_code == 302
    parking = Theme.objects.get(organization=world.org, name="Parking")
    assert parking.phrases == ["car park", "parking"]
    assert viewer.post("/insights/suggested/", {"name": "Other"}).status_code == 403
    r = owner.post("/insights/suggested/", {"name": "Parking"})
    assert r.status_code == 400
    assert "No theme is rising significantly" in page(owner, "/insights/emerging/")
    # Nothing of this organisation shows on the other's chart.
    other = embedded_json(page(logged_in(other_world.owner), "/insights/"), "theme-data")
    assert other["rows"] == []
