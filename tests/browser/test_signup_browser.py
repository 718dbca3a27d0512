"""Sign up in a real browser: the form, the mail the SMTP server received, the confirm button.

CSRF protection is on, as in production; the mail goes to a real SMTP server on loopback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_config
from tests.factories import open_shipped_programme
from tests.smtp import SMTPServer

pytestmark = pytest.mark.browser

EVENT = "/events/future-of-digital-health-in-norway"


@pytest.fixture
def app_config(tmp_path: Path, smtp_server: SMTPServer) -> dict[str, Any]:
    return make_config(
        tmp_path, WTF_CSRF_ENABLED=True, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port
    )


@pytest.fixture
def programme(programme: dict[str, Any]) -> dict[str, Any]:
    """The shipped programme with its events moved to next month: sign-up open (2023 is over)."""
    open_shipped_programme()
    return programme


def no_serious_violations(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]


def test_sign_up_confirm_from_the_mail_and_see_the_confirmation(
    live_server: str, page: Any, programme: Any, smtp_server: SMTPServer
) -> None:
    page.goto(live_server + EVENT)
    form = page.locator("form.signup-form")
    assert form.is_visible()
    no_serious_violations(page)

    page.fill("#name", "Ada Lovelace")
    page.fill("#email", "ada@example.org")
    page.fill("#organisation", "Oslo Cancer Cluster")
    page.check("#attendance-0")  # in person
    page.check("#consent")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/register/sent(#signup)?$"))
    assert page.locator("h1#sent-h").is_visible()

    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["ada@example.org"]
    body = received.message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(re.escape(live_server) + r"/registrations/confirm/[\w.\-]+", str(body.get_content()))
    assert match, "the confirm link points at the server the attendee used"

    page.goto(match.group(0))
    assert page.locator("section.registration-pending").is_visible()
    no_serious_violations(page)
    page.locator("section.registration-pending button[type=submit]").click()
    page.wait_for_selector("section.registration-confirmed")
    assert page.locator(".pill-confirmed").is_visible()
    assert "Ada Lovelace" in page.locator("section.registration-confirmed").inner_text()
    no_serious_violations(page)

    kinds = [r.message["Subject"] for r in smtp_server.wait_for(2)]
    assert len(kinds) == 2
    confirmed = smtp_server.received[1].message
    assert any(part.get_content_type() == "text/calendar" for part in confirmed.iter_attachments())


def test_mistakes_are_shown_next_to_the_fields_and_what_was_typed_stays(
    live_server: str, page: Any, programme: Any, smtp_server: SMTPServer
) -> None:
    page.goto(live_server + EVENT + "?lang=en")
    page.fill("#name", "Ada Lovelace")
    page.fill("#email", "not an address")
    page.locator("form.signup-form button[type=submit]").click()
    page.wait_for_selector("#email-error")
    assert page.locator("#name").input_value() == "Ada Lovelace"
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert "valid email address" in page.locator("#email-error").inner_text()
    assert page.locator("#consent-error").is_visible()
    assert page.locator("#name-error").count() == 0
    no_serious_violations(page)
    assert smtp_server.received == []
