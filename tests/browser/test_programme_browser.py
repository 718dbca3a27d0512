"""The programme in a real browser: read, filter, switch language, accessibility."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_programme_filters_and_event_page_in_chromium(live_server: str, page: Any, programme: Any) -> None:
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Arendalsuka 2023"
    assert page.locator(".event-card").count() == 4
    # On a phone the filters are folded away behind one summary line.
    assert not page.locator("#f-venue").is_visible()
    page.click("summary")
    page.fill("#f-venue", "Rygerelektra")  # a searchable picker (datalist)
    page.click("button[type=submit]")
    assert page.locator(".event-card").count() == 1
    assert "venue=Rygerelektra" in page.url
    assert page.locator("#f-venue").is_visible()  # an active filter keeps the panel open
    page.click("text=The Future of Digital Health in Norway: Leading the Way")
    assert page.locator("h1").inner_text() == "The Future of Digital Health in Norway: Leading the Way"
    assert page.locator(".agenda tbody tr").count() == 9
    page.click("a[hreflang=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#agenda-h").inner_text() == "Agenda"
    page.click("a[hreflang=nb]")
    assert page.locator("#signup-h").inner_text() == "Meld deg på"


def test_filters_are_open_on_a_wide_screen_and_pages_pass_axe(
    live_server: str, page: Any, programme: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": 1200, "height": 900})
    for path in ("/", "/events/future-of-digital-health-in-norway", "/events/fremtidens-kreftbehandling"):
        page.goto(live_server + path)
        if path == "/":
            assert page.locator("#f-venue").is_visible()
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
