"""The survey builder in a real Chromium: a follow-up asked only after a low score, seen
first in the preview (which stores nothing), then answered on the respondent's page and
in the in-app widget."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.responses.models import Answer, Response
from beacon.surveys.models import Survey
from beacon.testing import PASSWORD, World
from tests.browser.axe import load_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))


def _add_question(page: Page, kind: str, text: str, **rule: str) -> None:
    page.select_option("#q-kind", kind)
    page.fill("#q-text", text)
    if rule:
        page.select_option("#q-if-question", index=int(rule["question"]))
        page.select_option("#q-if-op", rule["op"])
        page.fill("#q-if-value", rule["value"])
    page.get_by_role("button", name="Add question").click()
    expect(page.locator(".question-text", has_text=text)).to_be_visible()


def _pick(page: Page, value: str) -> None:
    page.locator(f'input[name="answer"][value="{value}"]').check()


def test_preview_and_answer_a_survey_with_a_follow_up(
    world: World, live_server: Any, page: Page
) -> None:
    base = live_server.url
    _log_in(page, base, world.owner.email)
    page.goto(f"{base}/surveys/")
    page.fill("#new-name", "Checkout")
    page.fill("#new-title", "How was checking out?")
    page.get_by_role("button", name="Create draft").click()
    _add_question(page, "nps", "How likely are you to recommend us?")
    _add_question(page, "text", "What went wrong?", question="1", op="le", value="6")
    expect(page.get_by_text("Show-if: shown when question 1 is at most 6")).to_be_visible()
    editor = page.url

    # The preview: the respondent's page, saying so; the button follows the score.
    page.locator('a.preview-link[lang="en"]').click()
    expect(page.get_by_text("Preview — answers given here are not saved.")).to_be_visible()
    load_axe(page)
    assert page.evaluate("async () => (await axe.run(document)).violations.length") == 0
    button = page.locator("#step button[type=submit]")
    expect(button).to_have_text("Next")
    _pick(page, "9")
    expect(button).to_have_text("Finish")
    _pick(page, "3")
    expect(button).to_have_text("Next")
    button.click()
    expect(page.get_by_text("What went wrong?")).to_be_visible()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    _pick(page, "9")
    button.click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("Preview — answers given here are not saved.")).to_be_visible()
    assert not Response.objects.exists()

    # A last question for everyone, then the survey goes live.
    page.goto(editor)
    _add_question(page, "text", "Anything else?")
    page.select_option("#s-status", "active")
    page.get_by_role("button", name="Save survey").click()
    survey = Survey.objects.get(name="Checkout")
    nps, follow, last = survey.questions.order_by("position")

    # A low score asks the follow-up; going back to a high score withdraws its answer.
    page.goto(f"{base}/s/a/{survey.anonymous_token}/")
    _pick(page, "3")
    page.get_by_role("button", name="Next").click()
    page.fill("#answer", "The card was refused twice")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Anything else?")).to_be_visible()
    assert Answer.objects.filter(question=follow).count() == 1
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_text("What went wrong?")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    _pick(page, "9")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Anything else?")).to_be_visible()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    page.fill("#answer", "Quick")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    response = Response.objects.get(survey=survey)
    assert response.completed_at is not None
    stored = Answer.objects.filter(response=response).order_by("question__position")
    assert [(a.question_id, a.number, a.text) for a in stored] == [
        (nps.pk, 9, ""),
        (last.pk, None, "Quick"),
    ]

    # The in-app widget shows every question at once: the follow-up hides and shows as
    # the score changes, and what it holds while hidden is not sent.
    Survey.objects.filter(pk=survey.pk).update(widget_origins=base)
    page.evaluate(
        """(token) => {
          const s = document.createElement("script");
          s.src = "/static/beacon/widget.js";
          s.dataset.beaconSurvey = token;
          document.body.appendChild(s);
        }""",
        survey.anonymous_token,
    )
    page.wait_for_function("() => window.Beacon !== undefined")
    page.evaluate("() => window.Beacon.show()")
    dialog = page.get_by_role("dialog", name="How was checking out?")
    follow_up = dialog.get_by_label("What went wrong?")
    expect(follow_up).to_be_hidden()
    dialog.locator(f'input[name="q{nps.pk}"][value="3"]').check()
    follow_up.fill("Late")
    dialog.locator(f'input[name="q{nps.pk}"][value="8"]').check()
    expect(follow_up).to_be_hidden()
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_be_visible()
    widget = Response.objects.get(survey=survey, channel="widget")
    assert list(Answer.objects.filter(response=widget).values_list("question_id", "number")) == [
        (nps.pk, 8)
    ]

    # Reordering in place (htmx): a follow-up stays after the question it reads.
    page.goto(editor)
    page.get_by_role("button", name="Move down question 1").click()
    refused = "question 2 is shown when question 1 is at most 6, so it stays after that question"
    expect(page.get_by_text(refused)).to_be_visible()
    page.get_by_role("button", name="Move up question 3").click()
    expect(page.locator(".question-text").nth(1)).to_have_text("Anything else?")
    assert page.url == editor
    assert list(survey.questions.order_by("position").values_list("pk", flat=True)) == [
        nps.pk,
        last.pk,
        follow.pk,
    ]
