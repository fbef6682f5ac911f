"""Survey list and editor: edits go through the survey actions; analysts and above only."""

from __future__ import annotations

from beacon.cxmodel.actions import do_add_touchpoint
from beacon.orgs.models import Event
from beacon.pipeline.actions import submit_response
from beacon.responses.actions import do_delete_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.models import Response
from beacon.surveys.models import Question, Survey, SurveyStatus
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in, page


def _settings(world: World, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Support follow-up",
        "title": "How did we do?",
        "intro": "Two minutes, promise.",
        "thank_you": "Thanks!",
        "status": SurveyStatus.ACTIVE,
        "touchpoints": [str(world.touchpoint.pk)],
    }
    data.update(changes)
    return data


def test_list_shows_completed_response_counts(world: World, other_world: World) -> None:
    for _ in range(3):
        answer(world, nps=9)
    # A partial response is not counted as answered.
    submit_response(ResponseIn(survey=world.survey, idempotency_key="partial", complete=False,
                               answers=[AnswerIn(world.csat.pk, number=4)]))  # fmt: skip
    answer(other_world, nps=9)
    html = page(logged_in(world.owner), "/surveys/")
    assert f'<a href="/surveys/{world.survey.pk}/">Support follow-up</a>' in html
    assert f'<td class="num" data-responses="{world.survey.pk}">3</td>' in html
    assert f"/surveys/{other_world.survey.pk}/" not in html
    # The count comes from the channel rollup: the partial one counts once it is completed,
    # a deleted one no more, as counting the stored completed responses does.
    submit_response(ResponseIn(survey=world.survey, idempotency_key="partial",
                               answers=[AnswerIn(world.nps.pk, number=3)]))  # fmt: skip
    do_delete_response(Response.objects.filter(survey=world.survey).order_by("pk")[0])
    completed = Response.objects.filter(survey=world.survey, completed_at__isnull=False).count()
    assert completed == 3
    html = page(logged_in(world.owner), "/surveys/")
    assert f'<td class="num" data-responses="{world.survey.pk}">{completed}</td>' in html


def test_editor_shows_questions_and_anonymous_link(world: World) -> None:
    html = page(logged_in(world.owner), f"/surveys/{world.survey.pk}/")
    assert f"/s/a/{world.survey.anonymous_token}/" in html
    for q in (world.nps, world.csat, world.ces, world.comment):
        assert f'<p class="question-text">{q.text}</p>' in html
    assert 'value="Support follow-up"' in html
    tp = world.touchpoint.pk
    assert f'id="tp-{tp}" name="touchpoints" value="{tp}" checked' in html


def test_update_survey(world: World) -> None:
    email = do_add_touchpoint(world.stage, "Email support", "email")
    client = logged_in(world.owner)
    response = client.post(
        f"/surveys/{world.survey.pk}/",
        _settings(world, name="Renamed", status="closed", touchpoints=[str(email.pk)]),
    )
    assert response.status_code == 302 and response["Location"] == f"/surveys/{world.survey.pk}/"
    survey = Survey.objects.get(pk=world.survey.pk)
    assert (survey.name, survey.status, survey.intro, survey.thank_you) == (
        "Renamed", "closed", "Two minutes, promise.", "Thanks!",
    )  # fmt: skip
    assert list(survey.touchpoints.all()) == [email]
    assert Event.objects.filter(verb="survey.updated", actor=world.owner).count() == 1
    assert "Survey saved." in page(client, f"/surveys/{world.survey.pk}/")


def test_bad_settings_show_the_form_again_and_write_nothing(world: World) -> None:
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/"
    response = client.post(url, _settings(world, name="  ", status="paused", intro="kept"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "<li>name: must not be empty</li>" in html
    assert "<li>status: must be one of draft, active, closed</li>" in html
    assert '<textarea id="s-intro" name="intro" rows="3">kept</textarea>' in html
    response = client.post(url, _settings(world, title="x" * 301))
    assert "<li>title: must be at most 300 characters</li>" in response.content.decode()
    survey = Survey.objects.get(pk=world.survey.pk)
    assert (survey.name, survey.status, survey.intro) == ("Support follow-up", "active", "")
    assert not Event.objects.filter(verb="survey.updated").exists()


def test_touchpoint_of_another_organisation_is_refused(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    for bad in ([str(other_world.touchpoint.pk)], ["nope"]):
        response = client.post(f"/surveys/{world.survey.pk}/", _settings(world, touchpoints=bad))
        assert response.status_code == 400
        message = "touchpoints: a touchpoint is not one of this organisation"
        assert message in response.content.decode()
    assert list(Survey.objects.get(pk=world.survey.pk).touchpoints.all()) == [world.touchpoint]


def test_add_choice_question_one_choice_per_line(world: World) -> None:
    client = logged_in(world.owner)
    choices = "Leeds\r\n\r\n  York \nHull"
    response = client.post(
        f"/surveys/{world.survey.pk}/questions/",
        {"kind": "single", "text": "Which shop?", "choices": choices, "required": "1"},
    )
    assert response.status_code == 302
    q = Question.objects.get(survey=world.survey, position=5)
    assert (q.kind, q.text, q.required) == ("single", "Which shop?", True)
    assert q.choices == ["Leeds", "York", "Hull"]


def test_add_rating_question(world: World) -> None:
    client = logged_in(world.owner)
    client.post(
        f"/surveys/{world.survey.pk}/questions/",
        {"kind": "rating", "text": "Rate the app", "scale_min": "1", "scale_max": "10",
         "low_label": "Awful", "high_label": "Great"},
    )  # fmt: skip
    q = Question.objects.get(survey=world.survey, position=5)
    assert (q.scale_min, q.scale_max, q.low_label, q.high_label) == (1, 10, "Awful", "Great")


def test_bad_question_shows_messages_and_adds_nothing(world: World) -> None:
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/questions/"
    cases = [
        ({"kind": "single", "text": "Which?", "choices": "Only one"},
         "choices: a choice question needs at least two choices"),
        ({"kind": "rating", "text": "Rate", "scale_min": "one", "scale_max": "5"},
         "scale: must be a whole number"),
        ({"kind": "rating", "text": "Rate", "scale_min": "5", "scale_max": "1"},
         "scale: a rating needs a scale with 0 ≤ minimum &lt; maximum ≤ 100"),
        ({"kind": "essay", "text": "Tell us"}, "kind: must be one of nps, csat"),
        ({"kind": "text", "text": "   "}, "text: must not be empty"),
        ({"kind": "text", "text": "y" * 501}, "text: must be at most 500 characters"),
    ]  # fmt: skip
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        html = response.content.decode()
        assert message in html, message
        assert 'id="add-question"' in html
    assert Question.objects.filter(survey=world.survey).count() == 4


def test_long_survey_warning_appears_past_five_questions(world: World) -> None:
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/"
    client.post(f"{url}questions/", {"kind": "text", "text": "Anything else?"})
    assert "questions. Surveys of 5 or fewer" not in page(client, url)
    client.post(f"{url}questions/", {"kind": "csat", "text": "And the app?"})
    warning = "This survey has 6 questions. Surveys of 5 or fewer are answered far more often"
    assert warning in page(client, url)


def test_removing_an_answered_question_asks_first(world: World) -> None:
    answer(world, nps=9, ces=6)
    answer(world, nps=3, ces=2)
    client = logged_in(world.owner)
    url = f"/surveys/{world.survey.pk}/questions/{world.ces.pk}/remove/"
    response = client.post(url)
    assert response.status_code == 200
    assert "2 answers to this question will be deleted with it." in response.content.decode()
    assert Question.objects.filter(pk=world.ces.pk).exists()
    assert client.post(url, {"confirm": "1"}).status_code == 302
    assert not Question.objects.filter(pk=world.ces.pk).exists()


def test_remove_question(world: World) -> None:
    client = logged_in(world.owner)
    response = client.post(f"/surveys/{world.survey.pk}/questions/{world.ces.pk}/remove/")
    assert response.status_code == 302
    assert not Question.objects.filter(pk=world.ces.pk).exists()
    assert Event.objects.filter(verb="question.removed", actor=world.owner).count() == 1


def test_create_survey(world: World) -> None:
    client = logged_in(world.owner)
    response = client.post("/surveys/new/", {"name": "Delivery", "title": "How was delivery?"})
    survey = Survey.objects.get(name="Delivery")
    assert survey.organization_id == world.org.pk and survey.status == "draft"
    assert response["Location"] == f"/surveys/{survey.pk}/"
    response = client.post("/surveys/new/", {"name": "", "title": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<li>name: must not be empty</li>" in html
    assert "<li>title: must not be empty</li>" in html
    assert Survey.objects.count() == 2


def test_viewer_and_agent_see_read_only_and_get_403_on_edits(world: World) -> None:
    viewer = add_viewer(world)
    s = world.survey.pk
    for member in (viewer, world.agent):
        client = logged_in(member)
        html = page(client, f"/surveys/{s}/")
        assert "analysts, admins and owners can change it" in html
        assert 'method="post"' not in html.split('<main id="main"')[1]
        assert "Create draft" not in page(client, "/surveys/")
        for url, data in (
            (f"/surveys/{s}/", _settings(world, name="Hacked")),
            (f"/surveys/{s}/questions/", {"kind": "text", "text": "Hacked?"}),
            (f"/surveys/{s}/questions/{world.nps.pk}/remove/", {}),
            ("/surveys/new/", {"name": "Hacked", "title": "Hacked"}),
        ):
            response = client.post(url, data)
            assert response.status_code == 403, (member.role, url)
            assert "Not allowed" in response.content.decode()
    assert Survey.objects.get(pk=s).name == "Support follow-up"
    assert Question.objects.filter(survey_id=s).count() == 4
    assert Survey.objects.count() == 1


def test_other_organisations_surveys_are_404(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    theirs = other_world.survey.pk
    their_question = other_world.nps.pk
    assert client.get(f"/surveys/{theirs}/").status_code == 404
    for url, data in (
        (f"/surveys/{theirs}/", _settings(world, name="Hacked")),
        (f"/surveys/{theirs}/questions/", {"kind": "text", "text": "Hacked?"}),
        (f"/surveys/{theirs}/questions/{their_question}/remove/", {}),
        # Their question through our survey's URL is not found either.
        (f"/surveys/{world.survey.pk}/questions/{their_question}/remove/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert Survey.objects.get(pk=theirs).name == "Support follow-up"
    assert Question.objects.filter(survey_id=theirs).count() == 4
