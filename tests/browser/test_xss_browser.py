"""Script in what attendees type never runs: not on the hub's pages, not in the HTML mail.

A sign-up made in the browser with markup in the name and organisation is then looked at
where it shows: the confirmation page, the organiser's list, and the HTML mail the SMTP
server received. Any dialog or CSP violation fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hub.extensions import db
from hub.models import Account
from tests.conftest import PASSWORD, make_config
from tests.factories import make_event
from tests.smtp import SMTPServer

pytestmark = pytest.mark.browser

NAME = "<script>alert(1)</script> Eve"
ORGANISATION = '"><img src=x onerror=alert(2)> javascript:alert(3)'


@pytest.fixture
def app_config(tmp_path: Path, smtp_server: SMTPServer) -> dict[str, Any]:
    return make_config(
        tmp_path, WTF_CSRF_ENABLED=True, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port
    )


def _watch(page: Any) -> list[str]:
    """Collect dialogs and CSP violation reports the page raises."""
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on(
        "console",
        lambda message: (
            seen.append(f"console: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_markup_in_a_sign_up_is_shown_as_text_everywhere(
    live_server: str, page: Any, smtp_server: SMTPServer, password_hash: str
) -> None:
    make_event(capacity=10)
    db.session.add(Account(email="admin@example.org", is_admin=True, password_hash=password_hash))
    db.session.commit()
    seen = _watch(page)

    page.goto(live_server + "/events/test-event?lang=en")
    page.fill("#name", NAME)
    page.fill("#email", "eve@example.org")
    page.fill("#organisation", ORGANISATION)
    page.check("#attendance-0")
    page.check("#consent")
    page.locator("form.signup-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/register/sent"))

    (received,) = smtp_server.wait_for(1)
    html = received.message.get_body(preferencelist=("html",))
    assert html is not None
    mail_html = str(html.get_content())
    assert "<script>alert(1)" not in mail_html
    assert "<img src=x" not in mail_html
    confirm = re.search(r"/registrations/confirm/[\w.\-]+", mail_html)
    assert confirm

    # The confirmation page shows the name as text.
    page.goto(live_server + confirm.group(0))
    page.locator("section.registration-pending button[type=submit]").click()
    page.wait_for_selector("section.registration-confirmed")
    assert NAME in page.locator("section.registration-confirmed").inner_text()

    # The organiser's list shows both fields as text, and nothing ran.
    page.goto(live_server + "/organiser/login")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(live_server + "/organiser/events/test-event")
    listing = page.locator("main").inner_text()
    assert NAME in listing
    assert ORGANISATION in listing
    assert page.locator("img[src=x]").count() == 0

    assert seen == []

    # The HTML mail, opened as a mail client would show it (no CSP to help it here).
    page.goto("about:blank")
    page.set_content(mail_html)
    page.wait_for_timeout(200)
    assert page.locator("img[src=x]").count() == 0
    assert seen == []
