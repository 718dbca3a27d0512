"""The programme in a real browser: read, filter, switch language, accessibility."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_programme_filters_and_event_page_in_chromium(live_server: str, page: Any, programme: Any) -> None:
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Arendalsuka 2023"
    assert page.locator(".event-card").count() == 4
    page.select_option("#f-venue", label="Rygerelektra")
    page.click("button[type=submit]")
    assert page.locator(".event-card").count() == 1
    assert "venue=rygerelektra" in page.url
    page.click("text=The Future of Digital Health in Norway: Leading the Way")
    assert page.locator("h1").inner_text() == "The Future of Digital Health in Norway: Leading the Way"
    assert page.locator(".agenda tbody tr").count() == 9
    page.click("a[hreflang=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#agenda-h").inner_text() == "Agenda"
    page.click("a[hreflang=nb]")
    assert page.locator("#signup-h").inner_text() == "Meld deg på"
