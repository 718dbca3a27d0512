"""An event's sign-up list: table, filter, search, waiting list, check-in at the door."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub.extensions import db
from hub.models import Registration
from tests.organiser.conftest import T0

EVENT = "future-of-digital-health-in-norway"
URL = f"/organiser/events/{EVENT}"


def _names(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]*)</th>', page)


@pytest.fixture
def people(make_registration: Callable[..., Registration]) -> dict[str, Registration]:
    return {
        "kari": make_registration(
            EVENT, "Kari Nordmann", email="kari@example.org", organisation="Oslo universitetssykehus"
        ),
        "ase": make_registration(EVENT, "Åse Ødegård", email="ase@example.org", attendance="online"),
        "per": make_registration(EVENT, "Per Hansen", email="per@example.org", checked_in_at=T0),
        "wait2": make_registration(
            EVENT, "Zara Second", status="waitlisted", waitlisted_at=T0 + timedelta(minutes=30)
        ),
        "wait1": make_registration(
            EVENT, "Yngve First", status="waitlisted", waitlisted_at=T0 + timedelta(minutes=20)
        ),
        "pending": make_registration(EVENT, "Pål Pending", status="pending"),
        "gone": make_registration(EVENT, "Gro Gone", status="cancelled"),
    }


def test_list_shows_every_sign_up_with_its_details(
    occ_client: FlaskClient, people: dict[str, Registration]
) -> None:
    page = occ_client.get(URL + "?lang=en").get_data(as_text=True)
    assert sorted(_names(page)) == sorted(p.name for p in people.values())
    assert "kari@example.org" in page
    assert "Oslo universitetssykehus" in page
    assert "7 of 7 sign-ups shown." in page
    kari = re.search(rf'<tr id="r-{people["kari"].public_id}".*?</tr>', page, re.S)
    assert kari
    assert "pill-confirmed" in kari.group(0)
    assert "In person" in kari.group(0)
    # Signed up 09:01 Oslo time (07:01 UTC), shown in local time.
    assert "09:01" in kari.group(0)
    assert "Check in" in kari.group(0)


def test_filter_by_status(occ_client: FlaskClient, people: dict[str, Registration]) -> None:
    assert sorted(_names(occ_client.get(URL + "?status=waitlisted").get_data(as_text=True))) == [
        "Yngve First",
        "Zara Second",
    ]
    assert _names(occ_client.get(URL + "?status=checked_in").get_data(as_text=True)) == ["Per Hansen"]
    assert _names(occ_client.get(URL + "?status=not_checked_in").get_data(as_text=True)) == [
        "Kari Nordmann",
        "Åse Ødegård",
    ]
    # An unknown filter shows everyone rather than failing.
    response = occ_client.get(URL + "?status=bogus")
    assert response.status_code == 200
    assert len(_names(response.get_data(as_text=True))) == 7


def test_search_by_name_or_email_ignores_case_including_aeoa(
    occ_client: FlaskClient, people: dict[str, Registration]
) -> None:
    assert _names(occ_client.get(URL, query_string={"q": "ØDEGÅRD"}).get_data(as_text=True)) == [
        "Åse Ødegård"
    ]
    assert _names(occ_client.get(URL, query_string={"q": "per@example"}).get_data(as_text=True)) == [
        "Per Hansen"
    ]
    page = occ_client.get(URL, query_string={"q": "nobody", "lang": "en"}).get_data(as_text=True)
    assert _names(page) == []
    assert "Nobody matches this filter." in page


def test_waiting_list_is_in_line_order(occ_client: FlaskClient, people: dict[str, Registration]) -> None:
    page = occ_client.get(URL + "?lang=en").get_data(as_text=True)
    waitlist = page[page.index('id="waitlist-h"') :]
    assert waitlist.index("Yngve First") < waitlist.index("Zara Second")
    assert "Kari Nordmann" not in waitlist


def test_check_in_and_undo(occ_client: FlaskClient, people: dict[str, Registration]) -> None:
    kari = people["kari"]
    response = occ_client.post(f"{URL}/registrations/{kari.public_id}/check-in?status=confirmed&q=kari")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{URL}?status=confirmed&q=kari#r-{kari.public_id}"
    db.session.expire_all()
    assert db.session.get(Registration, kari.id).checked_in_at is not None
    page = occ_client.get(URL + "?lang=en").get_data(as_text=True)
    assert "Kari Nordmann is checked in." in page
    row = re.search(rf'<tr id="r-{kari.public_id}".*?</tr>', page, re.S)
    assert row
    assert "is-checked-in" in row.group(0)
    assert "Undo" in row.group(0)

    # Twice is harmless: the first time is kept.
    first = db.session.get(Registration, kari.id).checked_in_at
    occ_client.post(f"{URL}/registrations/{kari.public_id}/check-in")
    db.session.expire_all()
    assert db.session.get(Registration, kari.id).checked_in_at == first
    assert "was already checked in" in occ_client.get(URL + "?lang=en").get_data(as_text=True)

    occ_client.post(f"{URL}/registrations/{kari.public_id}/undo-check-in")
    db.session.expire_all()
    assert db.session.get(Registration, kari.id).checked_in_at is None
    assert "Check-in of Kari Nordmann undone." in occ_client.get(URL + "?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("who", ["wait1", "pending", "gone"])
def test_only_confirmed_people_can_be_checked_in(
    occ_client: FlaskClient, people: dict[str, Registration], who: str
) -> None:
    person = people[who]
    response = occ_client.post(f"{URL}/registrations/{person.public_id}/check-in", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"{person.name} cannot be checked in: only confirmed sign-ups can" in page
    db.session.expire_all()
    assert db.session.get(Registration, person.id).checked_in_at is None
    row = re.search(rf'<tr id="r-{person.public_id}".*?</tr>', page, re.S)
    assert row
    assert "Check in" not in row.group(0)


def test_get_never_checks_anyone_in(occ_client: FlaskClient, people: dict[str, Registration]) -> None:
    kari = people["kari"]
    assert occ_client.get(f"{URL}/registrations/{kari.public_id}/check-in").status_code == 405
    assert occ_client.get(f"{URL}/registrations/{people['per'].id}/undo-check-in").status_code == 405
    db.session.expire_all()
    assert db.session.get(Registration, kari.id).checked_in_at is None
    assert db.session.get(Registration, people["per"].id).checked_in_at is not None


def test_unknown_registration_is_not_found(occ_client: FlaskClient, people: dict[str, Registration]) -> None:
    assert occ_client.post(f"{URL}/registrations/999999/check-in").status_code == 404


@pytest.mark.parametrize("action", ["check-in", "undo-check-in"])
@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999999"])
def test_a_registration_id_too_large_for_the_database_is_not_found(
    occ_client: FlaskClient, people: dict[str, Registration], action: str, number: str
) -> None:
    response = occ_client.post(f"{URL}/registrations/{number}/{action}")
    assert response.status_code == 404


def test_empty_list_says_so(occ_client: FlaskClient, programme: Any) -> None:
    page = occ_client.get(URL + "?lang=en").get_data(as_text=True)
    assert "Nobody has signed up yet." in page
    assert "Nobody is on the waiting list." in page
