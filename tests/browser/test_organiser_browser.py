"""The organiser area in a real browser: log in, open a sign-up list, check someone in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.models import Account, Attendance, Event, Organiser, Registration, RegistrationStatus
from hub.organiser.accounts import hash_password

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
EVENT = "future-of-digital-health-in-norway"
T0 = datetime(2023, 8, 14, 9, 0, tzinfo=UTC)

PEOPLE = [
    # name, organisation, attendance, status, checked in
    ("Kari Nordmann", "Oslo universitetssykehus", "in_person", "confirmed", False),
    ("Åse Ødegård", "Sykehuset Sørlandet", "in_person", "confirmed", True),
    ("Lars Bjørnstad", "Norway Health Tech", "online", "confirmed", False),
    ("Ingrid Haugen", None, "in_person", "confirmed", False),
    ("Mohammed Ali", "DNV", "in_person", "pending", False),
    ("Sofie Berg", "Kreftforeningen", "in_person", "waitlisted", False),
    ("Jonas Lie", None, "in_person", "cancelled", False),
]


def _seed() -> dict[str, str]:
    event = db.session.scalar(select(Event).where(Event.slug == EVENT))
    assert event is not None
    account = Account(email="occ@example.org", password_hash=hash_password("correct horse battery"))
    account.organisers = list(
        db.session.scalars(select(Organiser).where(Organiser.name == "Oslo Cancer Cluster"))
    )
    db.session.add(account)
    ids = {}
    for n, (name, organisation, attendance, status, checked_in) in enumerate(PEOPLE):
        created = T0 + timedelta(minutes=37 * n)
        registration = Registration(
            event=event,
            name=name,
            email=name.split()[0].lower().replace("å", "a") + "@example.org",
            organisation=organisation,
            attendance=Attendance(attendance),
            status=RegistrationStatus(status),
            created_at=created,
            confirmed_at=created + timedelta(minutes=3) if status != "pending" else None,
            waitlisted_at=created + timedelta(minutes=3) if status == "waitlisted" else None,
            checked_in_at=event.starts_at - timedelta(minutes=10) if checked_in else None,
        )
        db.session.add(registration)
        db.session.flush()
        ids[name] = registration.public_id
    db.session.commit()
    return ids


def _assert_no_serious_axe_violations(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]


def test_log_in_and_check_someone_in(live_server: str, page: Any, programme: Any, screenshots: Path) -> None:
    ids = _seed()
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server + "/organiser/?lang=en")
    assert "/organiser/login" in page.url
    page.fill("#email", "occ@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")
    assert page.url == live_server + "/organiser/?lang=en"  # back where the login was asked for
    assert page.locator("tr[data-event]").count() == 3
    _assert_no_serious_axe_violations(page)

    page.click("text=The Future of Digital Health in Norway: Leading the Way")
    assert page.url.endswith(f"/organiser/events/{EVENT}")
    assert page.locator("#checked-in-count").inner_text() == "1"
    row = page.locator(f"#r-{ids['Kari Nordmann']}")
    assert "is-checked-in" not in (row.get_attribute("class") or "")

    row.locator("form[action*='/check-in'] button").click()
    row = page.locator(f"#r-{ids['Kari Nordmann']}")
    assert "is-checked-in" in (row.get_attribute("class") or "")
    assert row.locator(".checked-in").is_visible()
    assert row.locator("form[action*='/undo-check-in']").count() == 1
    assert page.locator("#checked-in-count").inner_text() == "2"
    assert page.locator(".flash-success").inner_text() == "Kari Nordmann is checked in."
    # Waiting, pending and cancelled people get no check-in button.
    for name in ("Sofie Berg", "Mohammed Ali", "Jonas Lie"):
        assert page.locator(f"#r-{ids[name]} form").count() == 0

    _assert_no_serious_axe_violations(page)

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "organiser-event.png"))
