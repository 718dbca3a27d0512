""" "My sign-ups" in a real browser on a phone-wide screen: ask for the link, open it from the
mail the SMTP server received, see the sign-ups, erase. Axe finds no serious violations.

CSRF protection is on, as in production; the mail goes to a real SMTP server on loopback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hub.extensions import db
from hub.mail.compose import Links
from hub.registration import service
from hub.timeutil import utcnow
from tests.browser.test_signup_browser import no_serious_violations
from tests.conftest import make_config
from tests.factories import make_event
from tests.smtp import SMTPServer

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path: Path, smtp_server: SMTPServer) -> dict[str, Any]:
    return make_config(
        tmp_path, WTF_CSRF_ENABLED=True, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port
    )


def test_my_sign_ups_on_a_phone_ask_open_see_and_erase(
    app: Any, live_server: str, page: Any, smtp_server: SMTPServer, screenshots: Path
) -> None:
    links = Links.from_app(app)
    first = make_event("digital-health", title="The Future of Digital Health in Norway", capacity=1)
    second = make_event("kreft", title="Fremtidens kreftbehandling", language="nb", attendance=["online"])
    for event, email in ((first, "bob@example.org"), (first, "ada@example.org"), (second, "ada@example.org")):
        details = service.SignupDetails("Ada Lovelace", email, "Oslo Cancer Cluster", None, "nb")
        service.sign_up(db.session, event, details, now=utcnow(), links=links, mail_cap=100)
        registration = service.find_registration(db.session, event, email)
        assert registration is not None
        service.confirm(db.session, registration, now=utcnow(), links=links)
    db.session.commit()

    assert page.viewport_size["width"] == 390
    page.goto(live_server + "/me")
    no_serious_violations(page)
    page.fill("#email", "ada@example.org")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".flash-success")

    mail = next(r for r in smtp_server.wait_for(1) if r.rcpt_tos == ["ada@example.org"])
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(re.escape(live_server) + r"/me/[\w.\-]+", str(body.get_content()))
    assert match, "the mail links to the attendee's page on the server they used"

    page.goto(match.group(0))
    items = page.locator(".me-item")
    assert items.count() == 2
    assert page.locator(".pill-waitlisted").is_visible()
    assert page.locator(".pill-confirmed").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    no_serious_violations(page)
    page.screenshot(path=str(screenshots / "me-phone.png"), full_page=True)

    page.locator("a[href$='/erase']").click()
    page.wait_for_selector("form.erase-form")
    no_serious_violations(page)
    page.check("#confirm")
    page.locator("form.erase-form button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert "/me" in page.url
    db.session.expire_all()
    assert service.find_registration(db.session, first, "ada@example.org") is None
    assert service.find_registration(db.session, second, "ada@example.org") is None
