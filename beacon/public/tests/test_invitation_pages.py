"""Answering through an invitation link, step by step, with Django's test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from beacon.core import clock
from beacon.loop.models import Case
from beacon.orgs.models import Event, Organization
from beacon.pipeline.actions import submit_response
from beacon.public.tests.helpers import answer, html, invite, stored
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import QuestionIn, do_add_question, do_update_survey
from beacon.surveys.models import Invitation, SurveyStatus
from beacon.testing import World

MAX_PAGE_BYTES = 25_000


def _set_status(world: World, status: str) -> None:
    survey = world.survey
    do_update_survey(
        survey,
        name=survey.name,
        title=survey.title,
        intro=survey.intro,
        thank_you=survey.thank_you,
        status=status,
        touchpoints=[world.touchpoint],
    )


def _prefix(invitation: Invitation) -> str:
    return f"/s/{invitation.token}/"


@pytest.mark.django_db
def test_full_walk_saves_every_step_as_it_is_answered(world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()

    first = client.get(s)
    assert first.status_code == 200
    page = html(first)
    assert "Question 1 of 4" in page and world.nps.text in page
    assert "Not at all likely" in page and "Extremely likely" in page
    assert ">Back<" not in page and ">Next<" in page
    assert "Acme Telecom" in page and "--b:#0b5cad;--t:#ffffff" in page
    assert '<html lang="en" dir="ltr">' in page and '<meta name="viewport"' in page
    assert "<script" not in page
    assert len(first.content) < MAX_PAGE_BYTES
    inv.refresh_from_db()
    assert inv.opened_at is not None
    opened_at = inv.opened_at
    client.get(s)
    inv.refresh_from_db()
    assert inv.opened_at == opened_at
    assert Event.objects.filter(verb="invitation.opened").count() == 1
    assert Response.objects.count() == 0

    saved = answer(client, s, 1, world.nps, "9")
    assert saved.status_code == 302 and saved["Location"] == f"{s}2/"
    assert stored() == {world.nps.pk: (9, "", [])}
    response = Response.objects.get()
    assert response.idempotency_key == f"inv:{inv.pk}" and response.completed_at is None
    assert response.contact_id == inv.contact_id and response.stage_id == world.stage.pk

    second = html(client.get(f"{s}2/"))
    assert "Question 2 of 4" in second and "Very dissatisfied" in second
    assert f'<a href="{s}">Back</a>' in second

    assert answer(client, s, 2, world.csat, "4")["Location"] == f"{s}3/"
    assert stored() == {world.nps.pk: (9, "", []), world.csat.pk: (4, "", [])}

    third = html(client.get(f"{s}3/"))
    assert "Very difficult" in third and "Very easy" in third
    # Skipping an optional question: Next without an answer.
    assert answer(client, s, 3, world.ces)["Location"] == f"{s}4/"
    assert stored() == {world.nps.pk: (9, "", []), world.csat.pk: (4, "", [])}

    fourth = html(client.get(f"{s}4/"))
    assert "Question 4 of 4" in fourth and ">Finish<" in fourth and "<textarea" in fourth
    assert f'<a href="{s}3/">Back</a>' in fourth

    done = answer(client, s, 4, world.comment, "Quick and friendly")
    assert done.status_code == 302 and done["Location"] == f"{s}thanks/"
    assert stored() == {
        world.nps.pk: (9, "", []),
        world.csat.pk: (4, "", []),
        world.comment.pk: (None, "Quick and friendly", []),
    }
    response.refresh_from_db()
    inv.refresh_from_db()
    assert response.completed_at is not None and inv.completed_at is not None
    assert Response.objects.count() == 1

    thanks = client.get(f"{s}thanks/")
    assert thanks.status_code == 200
    assert "your answer goes straight to the team" in html(thanks)
    assert len(thanks.content) < MAX_PAGE_BYTES

    again = client.get(s)
    assert again.status_code == 410
    assert "You have already answered — thank you" in html(again)
    late = answer(client, s, 1, world.nps, "0")
    assert late.status_code == 410
    assert Answer.objects.get(question=world.nps).number == 9


@pytest.mark.django_db(transaction=True)
def test_completed_detractor_opens_a_case(world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    client.get(s)
    answer(client, s, 1, world.nps, "3")
    answer(client, s, 2, world.csat)
    answer(client, s, 3, world.ces)
    assert answer(client, s, 4, world.comment, "Nobody called back")["Location"] == f"{s}thanks/"
    response = Response.objects.get()
    assert response.completed_at is not None and response.processed_at is not None
    case = Case.objects.get()
    assert case.response_id == response.pk and case.owner_id == world.stage_owner.pk
    assert case.contact_id == inv.contact_id


@pytest.mark.django_db
def test_reshown_step_prefills_the_saved_answer(world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    answer(client, s, 1, world.nps, "7")
    page = html(client.get(s))
    assert re.search(r'value="7" checked', page)
    assert len(re.findall(r" checked", page)) == 1
    # Changing the answer replaces it; it is still one row.
    answer(client, s, 1, world.nps, "10")
    assert stored() == {world.nps.pk: (10, "", [])}


@pytest.mark.django_db
def test_required_question_cannot_be_skipped(world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    page = answer(Client(), s, 1, world.nps)
    assert page.status_code == 400
    assert "This question needs an answer." in html(page)
    assert "<title>Error: " in html(page)
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_finishing_with_a_required_gap_goes_back_to_it_and_keeps_the_last_answer(
    world: World,
) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    page = answer(client, s, 4, world.comment, "Straight to the end")
    assert page.status_code == 302 and page["Location"] == f"{s}?missing=1"
    assert stored() == {world.comment.pk: (None, "Straight to the end", [])}
    assert Response.objects.get().completed_at is None
    back = html(client.get(page["Location"]))
    assert "Please answer this question to finish." in back and "Question 1 of 4" in back
    answer(client, s, 1, world.nps, "8")
    assert answer(client, s, 4, world.comment, "Straight to the end")["Location"] == f"{s}thanks/"
    assert Response.objects.get().completed_at is not None


@pytest.mark.django_db
def test_text_answer_is_stored_verbatim_and_shown_escaped(world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    evil = "<script>alert(\"x\")</script><b>bold</b> & 'quotes'"
    answer(client, s, 4, world.comment, evil)
    assert Answer.objects.get(question=world.comment).text == evil
    page = html(client.get(f"{s}4/"))
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; "
        "&amp; &#x27;quotes&#x27;</textarea>"
    ) in page


@pytest.mark.django_db
def test_browser_line_breaks_are_stored_as_typed(world: World) -> None:
    inv = invite(world)
    answer(Client(), _prefix(inv), 4, world.comment, "one\r\ntwo")
    assert Answer.objects.get().text == "one\ntwo"


def _tamper_cases(world: World, other_world: World) -> list[tuple[int, int, list[str], str]]:
    single = do_add_question(world.survey, QuestionIn("single", "Which line?", choices=["A", "B"]))
    multi = do_add_question(world.survey, QuestionIn("multi", "Which days?", choices=["Mo", "Tu"]))
    return [
        (1, world.nps.pk, ["42"], "Your answer must be between 0 and 10."),
        (1, world.nps.pk, ["-1"], "Your answer must be between 0 and 10."),
        (1, world.nps.pk, ["abc"], "Your answer must be a number between 0 and 10."),
        (1, world.nps.pk, ["3", "4"], "Please choose only one answer."),
        (2, world.csat.pk, ["6"], "Your answer must be between 1 and 5."),
        (3, world.ces.pk, ["0"], "Your answer must be between 1 and 7."),
        (5, single.pk, ["C"], "Please choose from the options listed."),
        (5, single.pk, ["A", "B"], "Please choose only one option."),
        (6, multi.pk, ["Mo", "Sa"], "Please choose from the options listed."),
        (6, multi.pk, ["Mo", "Mo"], "Please choose each option only once."),
        (4, world.comment.pk, ["x" * 20_001], "Your answer must be at most 20000 characters."),
        (1, other_world.nps.pk, ["9"], "This answer was meant for a different question."),
        (1, world.csat.pk, ["3"], "This answer was meant for a different question."),
        (1, 0, ["9"], "This answer was meant for a different question."),
    ]


@pytest.mark.django_db
def test_tampered_values_reshow_the_step_and_save_nothing(world: World, other_world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    for step, qid, values, message in _tamper_cases(world, other_world):
        page = answer(client, s, step, qid, *values)
        body = html(page)
        assert page.status_code == 400, (step, values)
        assert message in body, (step, values, body)
        assert f"Question {step} of 6" in body and '<form method="post"' in body
        assert 'aria-invalid="true"' in body
        assert Answer.objects.count() == 0 and Response.objects.count() == 0
    inv.refresh_from_db()
    assert inv.completed_at is None


@pytest.mark.django_db
def test_choice_questions_save_and_prefill(world: World) -> None:
    single = do_add_question(world.survey, QuestionIn("single", "Which line?", choices=["A", "B"]))
    multi = do_add_question(
        world.survey, QuestionIn("multi", "Which days?", choices=["Mo", "Tu", "We"])
    )
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    assert 'type="radio" name="answer" value="B"' in html(client.get(f"{s}5/"))
    answer(client, s, 5, single, "B")
    answer(client, s, 6, multi, "Mo", "We")
    assert stored() == {single.pk: (None, "", ["B"]), multi.pk: (None, "", ["Mo", "We"])}
    page = html(client.get(f"{s}6/"))
    assert "<legend>Which days?</legend>" in page
    assert 'value="Mo" checked' in page and 'value="We" checked' in page
    assert 'value="Tu">' in page


@pytest.mark.django_db
def test_wide_rating_uses_a_number_field_and_custom_labels(world: World) -> None:
    rating = do_add_question(
        world.survey,
        QuestionIn("rating", "Rate the app", scale_min=0, scale_max=100, low_label="Awful",
                   high_label="Superb"),
    )  # fmt: skip
    stars = do_add_question(
        world.survey, QuestionIn("rating", "Stars?", scale_min=1, scale_max=5, help_text="Be fair")
    )
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    page = html(client.get(f"{s}5/"))
    assert '<label class="q" for="answer">Rate the app</label>' in page
    assert (
        'type="number"' in page and 'min="0" max="100"' in page and "0: Awful; 100: Superb" in page
    )
    answer(client, s, 5, rating, "75")
    boxes = html(client.get(f"{s}6/"))
    assert boxes.count('type="radio"') == 5 and "Be fair" in boxes
    assert 'aria-describedby="help"' in boxes
    answer(client, s, 6, stars, "5")
    assert stored(question__in=[rating, stars]) == {rating.pk: (75, "", []), stars.pk: (5, "", [])}


@pytest.mark.django_db
def test_step_out_of_range_goes_to_the_first_question(world: World) -> None:
    inv = invite(world)
    s = _prefix(inv)
    client = Client()
    assert client.get(f"{s}9/")["Location"] == s
    assert client.get(f"{s}0/")["Location"] == s


@pytest.mark.django_db
def test_thanks_page_before_finishing_sends_back_to_the_survey(world: World) -> None:
    inv = invite(world)
    assert Client().get(f"/s/{inv.token}/thanks/")["Location"] == f"/s/{inv.token}/"


@pytest.mark.django_db
def test_unknown_token(world: World) -> None:
    for url in ("/s/not-a-real-token/", "/s/not-a-real-token/2/", "/s/not-a-real-token/thanks/"):
        page = Client().get(url)
        assert page.status_code == 404
        assert "We can&#x27;t find this survey" in html(page)
        assert "Acme" not in html(page)
    assert Client().post("/s/not-a-real-token/", {"answer": "1"}).status_code == 404


@pytest.mark.django_db
def test_used_invitation(world: World) -> None:
    inv = invite(world)
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"inv:{inv.pk}",
            invitation=inv,
            answers=[AnswerIn(world.nps.pk, number=9)],
        )
    )
    page = Client().get(f"/s/{inv.token}/")
    assert page.status_code == 410
    body = html(page)
    assert "You have already answered — thank you" in body
    assert "your answer goes straight to the team" in body
    assert Client().get(f"/s/{inv.token}/thanks/").status_code == 200


@pytest.mark.django_db
def test_expired_invitation(world: World) -> None:
    inv = invite(world)
    with clock.frozen_at(inv.expires_at + dt.timedelta(seconds=1)):
        page = Client().get(f"/s/{inv.token}/")
        post = answer(Client(), f"/s/{inv.token}/", 1, world.nps, "9")
    assert page.status_code == 410 and post.status_code == 410
    body = html(page)
    assert "This survey link has expired" in body
    assert f"valid until {inv.expires_at.day} " in body
    assert Response.objects.count() == 0
    inv.refresh_from_db()
    assert inv.opened_at is None


@pytest.mark.django_db
def test_closed_survey_invitation(world: World) -> None:
    inv = invite(world)
    _set_status(world, SurveyStatus.CLOSED)
    page = Client().get(f"/s/{inv.token}/")
    assert page.status_code == 410
    assert "This survey is closed" in html(page) and "Acme Telecom" in html(page)
    assert len(page.content) < MAX_PAGE_BYTES


@pytest.mark.django_db
def test_intro_is_shown_on_the_first_step_only(world: World) -> None:
    do_update_survey(world.survey, name=world.survey.name, title="Your call today",
                     intro="Two minutes, <promise>.", thank_you="Cheers!",
                     status=SurveyStatus.ACTIVE, touchpoints=[world.touchpoint])  # fmt: skip
    inv = invite(world)
    client = Client()
    first = html(client.get(f"/s/{inv.token}/"))
    assert "<h1>Your call today</h1>" in first and "Two minutes, &lt;promise&gt;." in first
    assert "Two minutes" not in html(client.get(f"/s/{inv.token}/2/"))


@pytest.mark.django_db
def test_brand_colour_is_used_only_when_it_is_a_plain_hex_colour(world: World) -> None:
    inv = invite(world)
    # No do_* sets branding yet; the colour is stored data the page must not trust.
    Organization.objects.filter(pk=world.org.pk).update(brand_color="#ffd700")
    assert "--b:#ffd700;--t:#000000" in html(Client().get(f"/s/{inv.token}/"))
    Organization.objects.filter(pk=world.org.pk).update(brand_color="red}*")
    page = html(Client().get(f"/s/{inv.token}/"))
    assert "red}" not in page and "--b:#0b5cad;--t:#ffffff" in page


@pytest.mark.django_db
def test_csrf_protection_stays_on_and_the_form_token_works(world: World) -> None:
    inv = invite(world)
    s = f"/s/{inv.token}/"
    client = Client(enforce_csrf_checks=True)
    refused = client.post(s, {"question": str(world.nps.pk), "answer": "9"})
    assert refused.status_code == 403
    assert Response.objects.count() == 0
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(client.get(s)))
    assert token is not None
    ok = client.post(
        s, {"csrfmiddlewaretoken": token.group(1), "question": str(world.nps.pk), "answer": "9"}
    )
    assert ok.status_code == 302
    assert stored() == {world.nps.pk: (9, "", [])}


@pytest.mark.django_db
def test_page_is_accessible_without_javascript(world: World) -> None:
    inv = invite(world)
    page = html(Client().get(f"/s/{inv.token}/"))
    assert "<script" not in page and re.search(r"<[^>]*\son[a-z]+=", page) is None
    assert "<fieldset>" in page and "<legend>How likely are you to recommend us?" in page
    assert '<span class="sr">, Not at all likely</span>' in page
    assert ":focus-visible" in page
    # Every radio sits inside its own label.
    assert page.count('<label><input type="radio"') == 11


@pytest.mark.django_db
def test_response_started_elsewhere_for_the_invitation_is_continued(world: World) -> None:
    inv = invite(world)
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key="api-started",
            invitation=inv,
            complete=False,
            answers=[AnswerIn(world.nps.pk, number=4)],
        )
    )
    client = Client()
    assert 'value="4" checked' in html(client.get(_prefix(inv)))
    answer(client, _prefix(inv), 2, world.csat, "2")
    response = Response.objects.get()
    assert response.idempotency_key == "api-started"
    assert stored() == {world.nps.pk: (4, "", []), world.csat.pk: (2, "", [])}
