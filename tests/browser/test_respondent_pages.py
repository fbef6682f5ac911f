"""The respondent side in a real Chromium: one-click email links, keyboard-only and no-JS
completion, axe-core on every question type, page weight, right-to-left, the widget."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from beacon.contacts.actions import InteractionIn
from beacon.pipeline.actions import receive_interaction
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey
from beacon.surveys.distribution import RuleIn, do_add_rule
from beacon.surveys.models import Survey, SurveyStatus
from beacon.testing import World, contact_in
from tests.browser.axe import load_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
MAX_FIRST_VIEW = 25_000


def axe_violations(page: Page) -> list[dict[str, Any]]:
    load_axe(page)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "nodes": [n["html"] for n in v["nodes"]]} for v in result]


def html_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no HTML part")


def emailed_score_links(world: World, smtp: Any, n: int) -> dict[str, str]:
    """Score -> link, from the invitation email a support call sends to customer n."""
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(n), idempotency_key=f"call-{n}", touchpoint=world.touchpoint
        ),
    )
    [mail] = smtp.inbox.to(f"customer{n}@example.com")
    links = re.findall(r'href="([^"]+/score/(\d+)/)"', html_part(mail))
    assert [int(score) for _, score in links] == list(range(11))
    return {score: url for url, score in links}


def test_one_click_score_in_the_email_then_keyboard_only_to_the_end(
    world: World, live_server: Any, smtp: Any, page: Page, settings: Any
) -> None:
    settings.BASE_URL = live_server.url
    links = emailed_score_links(world, smtp, 5)
    # The link opens question 1 with 9 chosen; the page sends it as it loads.
    page.goto(links["9"])
    expect(page.get_by_text("Question 2 of 4")).to_be_visible()

    # Keyboard only: Tab into the scale, arrows to choose, Tab to the button, Enter.
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # CSAT 1 -> 2
    page.keyboard.press("ArrowRight")  # -> 3
    page.keyboard.press("ArrowRight")  # -> 4
    page.keyboard.press("Tab")  # Back link
    page.keyboard.press("Tab")  # Next
    page.keyboard.press("Enter")
    expect(page.get_by_text("Question 3 of 4")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # CES skipped
    expect(page.get_by_text("Question 4 of 4")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("Quick and friendly")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    response = Response.objects.get()
    assert response.completed_at is not None and response.channel == "email"
    assert list(
        Answer.objects.filter(response=response).order_by("question_id")
        .values_list("number", "text")
    ) == [(9, ""), (4, ""), (None, "Quick and friendly")]  # fmt: skip


def test_one_click_score_with_javascript_off_is_sent_with_next(
    world: World, live_server: Any, smtp: Any, browser: Browser, settings: Any
) -> None:
    settings.BASE_URL = live_server.url
    links = emailed_score_links(world, smtp, 6)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(links["7"])
        expect(page.get_by_text("Question 1 of 4")).to_be_visible()
        expect(page.locator('input[name="answer"][value="7"]')).to_be_checked()
        assert Response.objects.count() == 0  # the link alone stores nothing
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Question 2 of 4")).to_be_visible()
    finally:
        context.close()
    assert Answer.objects.get(question=world.nps).number == 7


def test_anonymous_link_completes_with_javascript_off(
    world: World, live_server: Any, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/a/{world.survey.anonymous_token}/")
        page.check('input[name="answer"][value="10"]')
        page.get_by_role("button", name="Next").click()
        page.check('input[name="answer"][value="5"]')
        page.get_by_role("button", name="Next").click()
        page.get_by_role("button", name="Next").click()
        page.locator("textarea").fill("No JavaScript needed")
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    finally:
        context.close()
    response = Response.objects.get()
    assert response.completed_at is not None
    assert Answer.objects.filter(response=response).count() == 3


def every_kind_survey(world: World) -> Survey:
    survey = do_create_survey(world.org, "All kinds", "Every question type",
                              status=SurveyStatus.ACTIVE)  # fmt: skip
    for data in (
        QuestionIn("nps", "How likely are you to recommend us?", required=True,
                   help_text="0 means not at all"),
        QuestionIn("csat", "How satisfied are you?"),
        QuestionIn("ces", "How easy was it?"),
        QuestionIn("rating", "Rate the wait", scale_min=1, scale_max=4),
        QuestionIn("rating", "Rate out of 100", scale_min=0, scale_max=100),
        QuestionIn("single", "Which shop?", choices=["North", "South"]),
        QuestionIn("multi", "What went well?", choices=["Speed", "Kindness", "Price"]),
        QuestionIn("text", "Anything else?"),
    ):  # fmt: skip
        do_add_question(survey, data)
    return survey


def test_axe_finds_no_violations_on_any_question_type_or_end_page(
    world: World, live_server: Any, page: Page
) -> None:
    survey = every_kind_survey(world)
    base = f"{live_server.url}/s/a/{survey.anonymous_token}/"
    found: dict[str, Any] = {}
    for step in range(1, 9):
        page.goto(base if step == 1 else f"{base}{step}/")
        found[f"step {step}"] = axe_violations(page)
    # The error state: a required question left empty.
    page.goto(base)
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#error")).to_be_visible()
    found["error"] = axe_violations(page)
    page.goto(f"{live_server.url}/s/not-a-real-token/")
    found["problem"] = axe_violations(page)
    assert found == {k: [] for k in found}


def test_first_view_weighs_under_25_kb(world: World, live_server: Any, page: Page) -> None:
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    page.goto(f"{live_server.url}/s/a/{world.survey.anonymous_token}/")
    page.wait_for_load_state("networkidle")
    assert 0 < sum(sizes.values()) <= MAX_FIRST_VIEW, sizes
    # No CSS, JS, font or image requests beside the page itself and its small icon.
    assert sorted(u.rsplit("/", 1)[-1] or "page" for u in sizes) == ["favicon.svg", "page"]


def test_right_to_left_survey_renders_rtl(world: World, live_server: Any, browser: Browser) -> None:
    world.survey.translations = {"ar": {"title": "كيف كانت تجربتك؟"}}
    world.survey.save()
    context = browser.new_context(locale="ar")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/a/{world.survey.anonymous_token}/")
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("كيف كانت تجربتك؟")
        first, last = (page.locator(".scale label").nth(i).bounding_box() for i in (0, 10))
        assert first is not None and last is not None and first["x"] > last["x"]
        assert axe_violations(page) == []
    finally:
        context.close()


@pytest.fixture
def shop_server() -> Any:
    """A customer's own web page on another origin: a real HTTP server on loopback."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"not found")
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_widget_on_a_customer_page_posts_the_answer(
    world: World, live_server: Any, page: Page, shop_server: Any
) -> None:
    shop, pages = shop_server
    world.survey.widget_origins = shop
    world.survey.save()
    # What the shop's server computes: the user id signed with the survey's widget secret.
    secret = world.survey.widget_secret.encode()
    signature = hmac.new(secret, b"user-77", hashlib.sha256).hexdigest()
    pages["/"] = f"""<!doctype html><html lang="en"><head><title>Shop</title></head><body>
<main><h1>Order placed</h1><button id="done">Finish order</button></main>
<script src="{live_server.url}/static/beacon/widget.js" async
 data-beacon-survey="{world.survey.anonymous_token}" data-beacon-event="order-complete"
 data-beacon-user-id="user-77" data-beacon-user-email="u77@example.com"
 data-beacon-user-signature="{signature}"></script>
<script>document.getElementById("done").addEventListener("click",
 () => document.dispatchEvent(new CustomEvent("order-complete")));</script>
</body></html>""".encode()
    page.goto(f"{shop}/")
    page.wait_for_function("window.Beacon !== undefined")
    page.click("#done")
    dialog = page.get_by_role("dialog", name="How did we do?")
    expect(dialog).to_be_visible()
    dialog.locator(f'input[name="q{world.nps.pk}"][value="8"]').check()
    dialog.get_by_label("What is the main reason for your score?").fill("Fast delivery")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_have_text(world.survey.thank_you)
    assert axe_violations(page) == []
    response = Response.objects.get()
    assert response.channel == "widget" and response.completed_at is not None
    assert response.contact is not None and response.contact.external_id == "user-77"
    assert list(
        Answer.objects.filter(response=response).order_by("question_id")
        .values_list("number", "text")
    ) == [(8, ""), (None, "Fast delivery")]  # fmt: skip
