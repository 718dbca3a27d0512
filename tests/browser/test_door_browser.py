"""Door mode on a phone (390 px) in a real browser: search, check in and undo without a reload,
the live count, a walk-in; and the event edit form. Axe finds nothing serious on either."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.models import Account, Attendance, Event, Organiser, Registration, RegistrationStatus
from tests.browser.test_organiser_browser import _assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

EVENT = "future-of-digital-health-in-norway"
T0 = datetime(2023, 8, 14, 9, 0, tzinfo=UTC)
PEOPLE = [
    ("Kari Nordmann", "Oslo universitetssykehus", "in_person", True),
    ("Åse Ødegård", "Sykehuset Sørlandet", "in_person", True),
    ("Lars Bjørnstad", "Norway Health Tech", "online", False),
    ("Ingrid Haugen", None, "in_person", False),
    ("Mohammed Ali", "DNV", "in_person", False),
    ("Sofie Berg", "Kreftforeningen", "in_person", False),
    ("Jonas Lie", None, "in_person", False),
]


def _seed(password_hash: str) -> dict[str, str]:
    event = db.session.scalar(select(Event).where(Event.slug == EVENT))
    assert event is not None
    account = Account(email="occ@example.org", password_hash=password_hash)
    account.organisers = list(
        db.session.scalars(select(Organiser).where(Organiser.name == "Oslo Cancer Cluster"))
    )
    db.session.add(account)
    ids = {}
    for n, (name, organisation, attendance, checked_in) in enumerate(PEOPLE):
        created = T0 + timedelta(minutes=37 * n)
        registration = Registration(
            event=event,
            name=name,
            email=f"person{n}@example.org",
            organisation=organisation,
            attendance=Attendance(attendance),
            status=RegistrationStatus.CONFIRMED,
            created_at=created,
            confirmed_at=created + timedelta(minutes=3),
            checked_in_at=event.starts_at - timedelta(minutes=10 - n) if checked_in else None,
        )
        db.session.add(registration)
        db.session.flush()
        ids[name] = registration.public_id
    event.seats_taken = 6
    db.session.commit()
    return ids


def _log_in(page: Any, live_server: str, target: str) -> None:
    page.goto(f"{live_server}/organiser/login?lang=en&next={target}")
    page.fill("#email", "occ@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}{target}")


def test_door_mode_on_a_phone(
    live_server: str, page: Any, programme: Any, password_hash: str, screenshots: Path
) -> None:
    ids = _seed(password_hash)
    door = f"/organiser/events/{EVENT}/door"
    _log_in(page, live_server, door)
    assert page.locator("#door-count").inner_text() == "2"
    assert page.locator("#door-expected").inner_text() == "6"  # the online attendee is not expected
    assert page.locator("text=Lars Bjørnstad").count() == 0
    # Nothing is wider than the phone.
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => `${e.tagName}.${e.className}#${e.id}: ${Math.round(e.getBoundingClientRect().right)}`)"
    )
    assert wide == []
    _assert_no_serious_axe_violations(page)
    page.screenshot(path=str(screenshots / "organiser-door.png"))

    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    page.fill("#door-q", "ingrid")
    assert page.locator("#door-list li:visible").count() == 1
    page.locator(f"#d-{ids['Ingrid Haugen']} form.door-in button").click()
    page.wait_for_selector(f"#d-{ids['Ingrid Haugen']}.is-checked-in")
    assert page.locator("#door-count").inner_text() == "3"
    assert page.locator("#door-result").inner_text() == "Ingrid Haugen is checked in."
    assert page.input_value("#door-q") == ""  # cleared for the next guest
    assert page.locator("#door-list li:visible").count() == 6
    assert page.evaluate("document.activeElement.id") == "door-q"
    assert page.evaluate("window.__sameDocument") is True

    page.locator(f"#d-{ids['Kari Nordmann']} form.door-undo button").click()
    page.wait_for_selector(f"#d-{ids['Kari Nordmann']}:not(.is-checked-in)")
    assert page.locator("#door-count").inner_text() == "2"
    assert page.evaluate("window.__sameDocument") is True

    page.click("text=Walk-in: sign someone up at the door")
    page.fill("#name", "Nina Walker")
    page.fill("#email", "nina@example.org")
    page.click(".door-walk-in button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "Nina Walker is signed up and checked in." in page.locator(".flash-success").inner_text()
    assert page.locator("#door-count").inner_text() == "3"
    assert page.locator("#door-expected").inner_text() == "7"
    _assert_no_serious_axe_violations(page)


def test_edit_form(
    live_server: str, page: Any, programme: Any, password_hash: str, screenshots: Path
) -> None:
    _seed(password_hash)
    edit = f"/organiser/events/{EVENT}/edit"
    page.set_viewport_size({"width": 1000, "height": 1400})
    _log_in(page, live_server, edit)
    page.fill("#starts_at", "2023-08-16T14:00")
    page.fill("#ends_at", "2023-08-16T13:00")
    page.click("form.event-form button[type=submit]")
    assert page.locator("#ends_at-error").inner_text() == "The end must be after the start."
    page.fill("#ends_at", "2023-08-16T15:00")
    page.fill("#venue_name", "Arendal kulturhus")
    page.click("form.event-form button[type=submit]")
    assert page.locator("h1").inner_text() == "Check the change"
    assert "Notify the 7 attendees" in page.locator("main").inner_text()
    _assert_no_serious_axe_violations(page)
    page.screenshot(path=str(screenshots / "organiser-edit-preview.png"), full_page=True)
    page.click("button[value=back]")
    assert page.input_value("#venue_name") == "Arendal kulturhus"  # back to the form, as typed
    page.goto(live_server + edit)
    _assert_no_serious_axe_violations(page)
    page.screenshot(path=str(screenshots / "organiser-edit.png"), full_page=True)


def test_dashboard_reads_on_a_phone(
    live_server: str, page: Any, programme: Any, password_hash: str, screenshots: Path
) -> None:
    _seed(password_hash)
    _log_in(page, live_server, "/organiser/")
    assert page.locator("tr[data-event]").count() == 3
    # Every count is on screen, with its label, and nothing is wider than the phone.
    for cell in page.locator("td[data-count]").all():
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    label = page.evaluate(
        "getComputedStyle(document.querySelector('td[data-count=checked_in]'), '::before').content"
    )
    assert label == '"Checked in"'
    _assert_no_serious_axe_violations(page)
    page.screenshot(path=str(screenshots / "organiser-dashboard-phone.png"))
