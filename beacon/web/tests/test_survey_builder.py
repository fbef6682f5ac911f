"""The survey builder: edit, reorder, show-if rules, duplicate, templates and the preview."""

from __future__ import annotations

import re

import pytest

from beacon.orgs.models import Event
from beacon.pipeline.actions import submit_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import QuestionIn, do_add_question, do_translate_question
from beacon.surveys.distribution import RuleIn, do_add_rule
from beacon.surveys.models import Question, Survey, SurveyStatus
from beacon.surveys.queries import preview_token, questions_of, translation_status
from beacon.surveys.survey_templates import TEMPLATES
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in, page


def _form(question: Question, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": question.kind,
        "text": question.text,
        "help_text": question.help_text,
        "choices": "\n".join(question.choices),
        "scale_min": question.scale_min or "",
        "scale_max": question.scale_max or "",
        "low_label": question.low_label,
        "high_label": question.high_label,
        "show_if_question": question.show_if_question_id or "",
        "show_if_op": question.show_if_op,
        "show_if_value": question.show_if_value,
    }
    if question.required:
        data["required"] = "1"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _edit_url(q: Question) -> str:
    return f"/surveys/{q.survey_id}/questions/{q.pk}/"


def test_edit_a_question_not_yet_answered(world: World) -> None:
    client = logged_in(world.owner)
    plan = do_add_question(world.survey, QuestionIn("single", "Plan?", choices=["Basic", "Pro"]))
    do_translate_question(plan, "de", {"text": "Tarif?", "choices": ["Basis", "Profi"]})
    html = page(client, _edit_url(plan))
    assert '<textarea id="q-choices" name="choices" rows="4">Basic\nPro</textarea>' in html
    response = client.post(
        _edit_url(plan), _form(plan, text="Which plan?", choices="Pro\nTeam\nBasic", required="1")
    )
    assert response.status_code == 302 and response["Location"] == f"/surveys/{plan.survey_id}/"
    plan.refresh_from_db()
    assert (plan.text, plan.choices, plan.required) == (
        "Which plan?",
        ["Pro", "Team", "Basic"],
        True,
    )
    # Translated labels follow their choice; the new one is left for the translator.
    assert plan.translations["de"]["choices"] == ["Profi", "Team", "Basis"]
    assert Event.objects.filter(verb="question.updated", actor=world.owner).count() == 1
    # The scale of a rating may change while nobody has answered it.
    stars = do_add_question(world.survey, QuestionIn("rating", "Stars?", scale_min=1, scale_max=5))
    client.post(_edit_url(stars), _form(stars, scale_max="10"))
    stars.refresh_from_db()
    assert stars.scale_max == 10


def test_an_answered_question_keeps_what_its_answers_mean(world: World) -> None:
    answer(world, nps=9, csat=4)
    client = logged_in(world.owner)
    cases = [
        (
            world.csat,
            {"kind": "ces"},
            "kind: cannot change once answered; add a new question instead",
        ),
    ]
    plan = do_add_question(world.survey, QuestionIn("single", "Plan?", choices=["Basic", "Pro"]))
    given = [AnswerIn(world.nps.pk, number=5), AnswerIn(plan.pk, choices=["Pro"])]
    submit_response(ResponseIn(world.survey, "plan-1", given))
    cases.append(
        (
            plan,
            {"choices": "Basic\nGold"},
            "choices: “Pro” was offered to those who answered; keep it",
        )
    )
    for question, change, message in cases:
        html = page(client, _edit_url(question))
        assert "answer" in html and "already given" in html
        response = client.post(_edit_url(question), _form(question, **change))
        assert response.status_code == 400
        assert f"<li>{message}</li>" in response.content.decode()
    plan.refresh_from_db()
    assert plan.choices == ["Basic", "Pro"]
    assert Question.objects.get(pk=world.csat.pk).kind == "csat"
    # Texts may still change, and a choice may be added.
    response = client.post(
        _edit_url(plan), _form(plan, text="Your plan?", choices="Basic\nPro\nTeam")
    )
    assert response.status_code == 302
    assert not Event.objects.filter(verb="question.updated").exclude(subject_id=plan.pk).exists()


def test_every_bad_show_if_is_a_form_error_naming_its_field(
    world: World, other_world: World
) -> None:
    client = logged_in(world.owner)
    plan = do_add_question(world.survey, QuestionIn("single", "Plan?", choices=["Basic", "Pro"]))
    follow = do_add_question(world.survey, QuestionIn("text", "Why?"))
    nps, comment = world.nps, world.comment
    bad: list[tuple[Question, dict[str, object], str]] = [
        # A later question cannot decide an earlier one.
        (nps, {"show_if_question": plan.pk, "show_if_op": "picked", "show_if_value": "Pro"},
         "show_if_question: must be an earlier question of this survey"),
        # Another organisation's question reads as unknown.
        (follow, {"show_if_question": other_world.nps.pk, "show_if_op": "le", "show_if_value": "6"},
         "show_if_question: must be an earlier question of this survey"),
        (follow, {"show_if_question": "x1", "show_if_op": "le", "show_if_value": "6"},
         "show_if_question: must be an earlier question of this survey"),
        (follow, {"show_if_question": nps.pk, "show_if_op": "le", "show_if_value": "11"},
         "show_if_value: must be between 0 and 10"),
        (follow, {"show_if_question": nps.pk, "show_if_op": "le", "show_if_value": "٣"},
         "show_if_value: must be a whole number"),
        (follow, {"show_if_question": nps.pk, "show_if_op": "picked", "show_if_value": "6"},
         "show_if_op: the condition on a score is “at most” or “at least”"),
        (follow, {"show_if_question": plan.pk, "show_if_op": "picked", "show_if_value": "Gold"},
         "show_if_value: must be one of the choices of that question"),
        (follow, {"show_if_question": plan.pk, "show_if_op": "le", "show_if_value": "Pro"},
         "show_if_op: the condition on a choice is “this choice is picked”"),
        (follow, {"show_if_question": comment.pk, "show_if_op": "le", "show_if_value": "1"},
         "show_if_question: a free-text answer cannot decide whether a question is asked"),
        (follow, {"show_if_question": "", "show_if_op": "le", "show_if_value": "6"},
         "show_if_question: choose the earlier question the condition reads"),
    ]  # fmt: skip
    for question, change, message in bad:
        response = client.post(_edit_url(question), _form(question, **change))
        assert response.status_code == 400, change
        assert f"<li>{message}</li>" in response.content.decode(), change
    # The same checks when adding a question.
    response = client.post(
        f"/surveys/{world.survey.pk}/questions/",
        {"kind": "text", "text": "Why?", "show_if_question": nps.pk, "show_if_op": "ge",
         "show_if_value": "-1"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "<li>show_if_value: must be between 0 and 10</li>" in response.content.decode()
    assert not Event.objects.filter(verb="question.updated").exists()
    assert Question.objects.filter(survey=world.survey).count() == 6
    # A good rule, shown in words on the editor.
    ok = client.post(
        _edit_url(follow),
        _form(follow, show_if_question=nps.pk, show_if_op="le", show_if_value="6"),
    )
    assert ok.status_code == 302
    html = page(client, f"/surveys/{world.survey.pk}/")
    assert "Show-if: shown when question 1 is at most 6" in html


def _order(survey: Survey) -> list[int]:
    return [q.pk for q in questions_of(survey)]


def test_move_questions_up_and_down(world: World) -> None:
    client = logged_in(world.owner)
    nps, csat, ces, comment = world.nps, world.csat, world.ces, world.comment

    def move(q: Question, direction: str) -> int:
        url = f"/surveys/{world.survey.pk}/questions/{q.pk}/move/"
        return client.post(url, {"direction": direction}).status_code

    assert move(ces, "up") == 302
    assert _order(world.survey) == [nps.pk, ces.pk, csat.pk, comment.pk]
    assert move(nps, "down") == 302
    assert _order(world.survey) == [ces.pk, nps.pk, csat.pk, comment.pk]
    assert [q.position for q in questions_of(world.survey)] == [1, 2, 3, 4]
    assert Event.objects.filter(verb="question.moved", actor=world.owner).count() == 2
    # Nothing on that side, or a direction that is not one.
    assert move(ces, "up") == 400
    assert move(comment, "down") == 400
    response = client.post(
        f"/surveys/{world.survey.pk}/questions/{nps.pk}/move/", {"direction": "sideways"}
    )
    assert response.status_code == 400
    assert "<li>direction: must be up or down</li>" in response.content.decode()
    # A follow-up stays after the question it reads.
    why = do_add_question(
        world.survey,
        QuestionIn("text", "What went wrong?", show_if_question=nps, show_if_op="le",
                   show_if_value="6"),
    )  # fmt: skip
    client.post(f"/surveys/{world.survey.pk}/questions/{why.pk}/move/", {"direction": "up"})
    client.post(f"/surveys/{world.survey.pk}/questions/{why.pk}/move/", {"direction": "up"})
    response = client.post(
        f"/surveys/{world.survey.pk}/questions/{why.pk}/move/", {"direction": "up"}
    )
    assert response.status_code == 400
    assert (
        "<li>direction: question 3 is shown when question 2 is at most 6, so it stays after "
        "that question</li>" in response.content.decode()
    )
    assert _order(world.survey) == [ces.pk, nps.pk, why.pk, csat.pk, comment.pk]


def test_a_question_another_reads_is_not_removed(world: World) -> None:
    client = logged_in(world.owner)
    why = do_add_question(
        world.survey,
        QuestionIn("text", "Why?", show_if_question=world.nps, show_if_op="le", show_if_value="6"),
    )
    response = client.post(f"/surveys/{world.survey.pk}/questions/{world.nps.pk}/remove/")
    assert response.status_code == 400
    assert (
        "<li>question: question 5 is shown when question 1 is at most 6; change its condition "
        "first</li>" in response.content.decode()
    )
    assert Question.objects.filter(pk=world.nps.pk).exists()
    # The follow-up itself goes as before; then the question it read may go too.
    assert client.post(f"/surveys/{world.survey.pk}/questions/{why.pk}/remove/").status_code == 302
    response = client.post(f"/surveys/{world.survey.pk}/questions/{world.nps.pk}/remove/")
    assert response.status_code == 302
    assert not Question.objects.filter(pk__in=[why.pk, world.nps.pk]).exists()


def test_duplicate_copies_questions_translations_and_rules_not_responses(world: World) -> None:
    survey = world.survey
    why = do_add_question(
        survey,
        QuestionIn("text", "Why?", show_if_question=world.nps, show_if_op="le", show_if_value="6"),
    )
    do_translate_question(why, "de", {"text": "Warum?"})
    survey.translations = {"de": {"title": "Wie war es?"}}
    survey.save(update_fields=["translations"])
    do_add_rule(survey, RuleIn(touchpoint=world.touchpoint))
    answer(world, nps=3)
    client = logged_in(world.owner)
    response = client.post(f"/surveys/{survey.pk}/duplicate/")
    copy = Survey.objects.exclude(pk=survey.pk).get(organization=world.org)
    assert response.status_code == 302 and response["Location"] == f"/surveys/{copy.pk}/"
    assert (copy.name, copy.title, copy.status) == (
        "Support follow-up (copy)", survey.title, SurveyStatus.DRAFT,
    )  # fmt: skip
    assert copy.translations == {"de": {"title": "Wie war es?"}}
    assert copy.anonymous_token != survey.anonymous_token
    assert copy.widget_secret != survey.widget_secret
    original, copied = questions_of(survey), questions_of(copy)
    assert [(q.kind, q.text, q.position) for q in copied] == [
        (q.kind, q.text, q.position) for q in original
    ]
    new_why = copied[-1]
    assert (new_why.show_if_question_id, new_why.show_if_op, new_why.show_if_value) == (
        copied[0].pk, "le", "6",
    )  # fmt: skip
    assert new_why.translations == {"de": {"text": "Warum?"}}
    assert not Response.objects.filter(survey=copy).exists()
    assert not copy.rules.exists() and not copy.invitations.exists()
    assert Event.objects.filter(verb="survey.duplicated", subject_id=copy.pk).count() == 1
    # A rule keeps the question it reads from being removed alone, not the whole survey.
    copy.delete()
    assert not Question.objects.filter(survey_id=copy.pk).exists()


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_new_survey_from_each_template(world: World, key: str) -> None:
    client = logged_in(world.owner)
    assert f'value="{key}"' in page(client, "/surveys/")
    response = client.post("/surveys/from-template/", {"template": key})
    survey = Survey.objects.filter(organization=world.org).latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey.pk}/"
    template = TEMPLATES[key]
    questions = questions_of(survey)
    assert (survey.name, survey.status) == (template.name, SurveyStatus.DRAFT)
    assert [q.text for q in questions] == [t.text["en"] for t in template.questions]
    rules = [(q.show_if_question_id, q.show_if_op, q.show_if_value) for q in questions]
    assert rules == [
        (questions[t.show_if[0]].pk, t.show_if[1], t.show_if[2]) if t.show_if else (None, "", "")
        for t in template.questions
    ]
    assert any(q.show_if_question_id for q in questions)
    for code in ("de", "fr", "es", "nl"):
        status = translation_status(survey, questions, code)
        assert status.missing == [] and status.done == status.needed, (key, code)


def test_a_template_that_is_not_one_is_refused(world: World) -> None:
    response = logged_in(world.owner).post("/surveys/from-template/", {"template": "nps2"})
    assert response.status_code == 400
    assert f"<li>template: must be one of {', '.join(TEMPLATES)}</li>" in response.content.decode()
    assert Survey.objects.filter(organization=world.org).count() == 1


def _preview_url(html: str, code: str) -> str:
    match = re.search(rf'<a href="([^"]+)" class="preview-link" lang="{code}">', html)
    assert match, code
    return match.group(1).replace("&amp;", "&")


def test_preview_in_a_language_stores_nothing(world: World) -> None:
    client = logged_in(world.owner)
    key = "relationship_nps"
    client.post("/surveys/from-template/", {"template": key})
    survey = Survey.objects.filter(organization=world.org).latest("pk")
    nps, _reason, fix = questions_of(survey)
    url = _preview_url(page(client, f"/surveys/{survey.pk}/"), "de")
    anonymous = logged_in(world.agent)  # the link is the credential: anyone it is shared with
    html = page(anonymous, url)
    assert "Vorschau" in html and "Wie machen wir uns?" in html
    assert TEMPLATES[key].questions[0].text["de"] in html
    assert 'method="get"' in html and "csrfmiddlewaretoken" not in html
    # A low score leads to the follow-up (step 3) after the reason (step 2).
    token = url.split("/")[3]
    step2 = anonymous.get(
        f"/s/p/{token}/", {"language": "de", "question": str(nps.pk), "answer": "3"}
    )
    assert step2.status_code == 302
    step3 = anonymous.get(step2["Location"] + f"&question={_reason.pk}&answer=Teuer")
    assert step3.status_code == 302 and f"/s/p/{token}/3/" in step3["Location"]
    assert TEMPLATES[key].questions[2].text["de"] in page(anonymous, step3["Location"])
    # A high score skips it: the reason is the last step.
    carried = {"language": "de", f"a{nps.pk}": "9"}
    high = anonymous.get(f"/s/p/{token}/2/", {**carried, "question": str(_reason.pk), "answer": ""})
    assert high.status_code == 302 and f"/s/p/{token}/thanks/" in high["Location"]
    # The follow-up's own address, with a high score, moves on to the next asked step.
    skipped = anonymous.get(f"/s/p/{token}/3/", {"language": "de", f"a{nps.pk}": "9"})
    assert skipped.status_code == 302 and f"/s/p/{token}/2/" in skipped["Location"]
    assert "Vorschau" in page(anonymous, high["Location"])
    bad = anonymous.get(
        f"/s/p/{token}/", {"language": "de", "question": str(nps.pk), "answer": "11"}
    )
    assert bad.status_code == 400
    assert not Response.objects.exists() and not Answer.objects.exists()
    assert fix.show_if_value == "6"


def test_a_forged_or_foreign_preview_link_is_not_found(world: World, other_world: World) -> None:
    client = logged_in(world.owner)
    token = preview_token(world.survey)
    assert client.get(f"/s/p/{token}x/").status_code == 404
    assert client.get(f"/s/p/{token[:-3]}/").status_code == 404
    # The other organisation's editor gives its own survey's link only.
    html = page(logged_in(other_world.owner), f"/surveys/{other_world.survey.pk}/")
    assert token not in html


def test_other_organisations_and_roles(world: World, other_world: World) -> None:
    viewer = add_viewer(world)
    theirs = other_world.survey
    client = logged_in(world.owner)
    for url, data in [
        (f"/surveys/{theirs.pk}/duplicate/", {}),
        (f"/surveys/{theirs.pk}/questions/{other_world.nps.pk}/", _form(other_world.nps)),
        (f"/surveys/{theirs.pk}/questions/{other_world.nps.pk}/move/", {"direction": "down"}),
        # Our survey, their question.
        (f"/surveys/{world.survey.pk}/questions/{other_world.nps.pk}/", _form(other_world.nps)),
        (f"/surveys/{world.survey.pk}/questions/{other_world.nps.pk}/move/", {"direction": "down"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert client.get(f"/surveys/{theirs.pk}/questions/{other_world.nps.pk}/").status_code == 404
    for member in (viewer, world.agent):
        other = logged_in(member)
        html = page(other, _edit_url(world.nps))
        assert "analysts, admins and owners can change it" in html
        for url, data in [
            (f"/surveys/{world.survey.pk}/duplicate/", {}),
            ("/surveys/from-template/", {"template": "lost_customer"}),
            (_edit_url(world.nps), _form(world.nps, text="Changed")),
            (f"/surveys/{world.survey.pk}/questions/{world.nps.pk}/move/", {"direction": "down"}),
        ]:
            assert other.post(url, data).status_code == 403, (member.role, url)
    assert Survey.objects.filter(organization=world.org).count() == 1
    assert Question.objects.get(pk=world.nps.pk).text == "How likely are you to recommend us?"
    assert _order(world.survey)[0] == world.nps.pk
