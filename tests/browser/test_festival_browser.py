"""A festival-sized programme (1,500 events) in Chromium, on a phone and on a desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.extensions import db
from hub.programme.importer import import_programme
from hub.programme.synthetic import generate_programme

pytestmark = pytest.mark.browser


@pytest.fixture
def festival(app: Any) -> None:
    import_programme(db.session, generate_programme(events=1500, days=7, venues=60, seed=2023))
    db.session.commit()


def serious_violations(page: Any) -> list[Any]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]


@pytest.mark.parametrize("width", [390, 1280])
def test_finding_your_way_through_1500_events(
    live_server: str, page: Any, festival: None, screenshots: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    device = "phone" if width == 390 else "desktop"
    page.goto(live_server + "/?day=2023-08-16&lang=en")

    # Day tabs with counts: one row (it scrolls sideways on a phone), and it stays on screen.
    tabs = page.locator(".day-tabs a")
    assert tabs.count() == 7
    tops = {round(tabs.nth(i).bounding_box()["y"]) for i in range(7)}
    assert len(tops) == 1
    assert all(tabs.nth(i).locator(".count").inner_text().isdigit() for i in range(7))
    shown = int(page.locator(".day-tabs a[aria-current] .count").inner_text())
    assert page.locator(".event-card").count() == shown
    assert serious_violations(page) == []
    page.screenshot(path=str(screenshots / f"programme-list-{device}.png"))

    # Jump to a time: the 15:00 link brings the first event starting then into view.
    page.click(".time-jump a:text-is('15')")
    target = page.locator("#t-2023-08-16-15")
    assert target.is_visible()
    box = target.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]
    assert page.locator(".day-tabs").bounding_box()["y"] >= 0  # the tabs stayed on screen
    assert page.locator(".day-tabs").is_visible()

    # Star two events: kept in this browser, shareable, exportable.
    page.goto(live_server + "/?day=2023-08-16&lang=en")
    stars = page.locator("button.star")
    stars.nth(0).click()
    stars.nth(3).click()
    assert stars.nth(0).get_attribute("aria-pressed") == "true"
    mine = page.locator("a[data-my-programme]")
    assert mine.is_visible()
    assert mine.locator("[data-star-count]").inner_text() == "2"
    page.reload()
    assert page.locator("button.star[aria-pressed=true]").count() == 2
    with page.expect_navigation(wait_until="load"):
        mine.click()
    assert page.locator(".event-card").count() == 2
    assert page.locator("a[href*='/programme.ics?events=']").count() == 1

    # Search over all days: grouped by day, with a count per day.
    page.goto(live_server + "/?lang=en")
    if not page.locator("#f-q").is_visible():
        page.click(".filter-panel summary")
    page.fill("#f-q", "kreft")
    with page.expect_navigation(wait_until="load"):
        page.click("form.filters button[type=submit]")
    assert "q=kreft" in page.url
    headings = page.locator("h2.day-heading")
    assert headings.count() == 7
    counts = [int(tabs.nth(i).locator(".count").inner_text()) for i in range(1, 8)]
    assert sum(counts) == page.locator(".event-card").count() > 100
    assert page.locator(".day-tabs a[aria-current]").inner_text().startswith("All days")

    # The grid: a day by venue and time, scrolling sideways inside its frame.
    page.goto(live_server + "/?day=2023-08-16&view=grid&lang=en")
    assert page.locator(".grid-event").count() == shown
    assert page.locator(".grid-venue").count() == 60
    scroller = page.locator(".grid-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    assert serious_violations(page) == []
    page.screenshot(path=str(screenshots / f"programme-grid-{device}.png"))
