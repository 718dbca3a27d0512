"""The dashboard: counts per event and status from one aggregate query."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.models import Account, Event, Registration
from hub.organiser.queries import ALL_DAYS_LIMIT, counts_by_event, dashboard
from hub.programme.importer import import_programme
from hub.programme.synthetic import generate_programme
from tests.conftest import counted_queries
from tests.organiser.conftest import T0, login

DIGITAL = "future-of-digital-health-in-norway"


def _cells(page: str, slug: str) -> dict[str, str]:
    row = re.search(rf'<tr data-event="{slug}">(.*?)</tr>', page, re.S)
    assert row, slug
    return {
        name: re.sub(r"<[^>]+>|\s+", " ", value).split()[0]
        for name, value in re.findall(r'data-count="(\w+)"[^>]*>(.*?)</td>', row.group(1), re.S)
    }


def test_dashboard_counts_each_state(
    occ_client: FlaskClient, make_registration: Callable[..., Registration]
) -> None:
    make_registration(DIGITAL, "A", checked_in_at=T0)
    make_registration(DIGITAL, "B")
    make_registration(DIGITAL, "C", attendance="online")
    make_registration(DIGITAL, "D", status="waitlisted")
    make_registration(DIGITAL, "E", status="waitlisted")
    make_registration(DIGITAL, "F", status="pending")
    make_registration(DIGITAL, "G", status="cancelled", checked_in_at=T0)  # left again: not counted
    make_registration("fremtidens-kreftbehandling", "H")

    page = occ_client.get("/organiser/?lang=en").get_data(as_text=True)
    assert _cells(page, DIGITAL) == {
        "in_person": "2",
        "online": "1",
        "waitlisted": "2",
        "pending": "1",
        "cancelled": "1",
        "checked_in": "1",
    }
    assert "2 / 40" in re.sub(r"<[^>]+>", "", page)  # seats against the capacity
    assert _cells(page, "fremtidens-kreftbehandling")["in_person"] == "1"
    assert _cells(page, "medisinsk-innovasjon-etter-inflation-reduction-act")["in_person"] == "0"


def test_dashboard_groups_events_by_day(occ_client: FlaskClient) -> None:
    page = occ_client.get("/organiser/?lang=en").get_data(as_text=True)
    assert page.index('id="day-2023-08-15"') < page.index('id="day-2023-08-16"')
    assert page.index('data-event="fremtidens-kreftbehandling"') < page.index(f'data-event="{DIGITAL}"')
    one_day = occ_client.get("/organiser/?day=2023-08-16").get_data(as_text=True)
    assert f'data-event="{DIGITAL}"' in one_day
    assert 'data-event="fremtidens-kreftbehandling"' not in one_day


def test_bad_day_is_a_message_not_an_error(occ_client: FlaskClient) -> None:
    response = occ_client.get("/organiser/?day=yesterday&lang=en")
    assert response.status_code == 200
    assert "That day is not a date" in response.get_data(as_text=True)


@pytest.mark.slow
def test_dashboard_of_1500_events_is_one_day_and_a_few_queries(
    client: FlaskClient, app: Any, make_account: Callable[..., Account]
) -> None:
    import_programme(db.session, generate_programme(events=1500, days=7, venues=60, seed=7))
    db.session.commit()
    admin = make_account("admin@example.org", admin=True)
    ids = list(db.session.scalars(select(Event.id)))
    db.session.execute(
        db.insert(Registration),
        [
            {"event_id": ids[i % len(ids)], "name": f"P{i}", "email": f"p{i}@example.org", "status": s}
            for i, s in enumerate(["confirmed", "waitlisted", "pending", "cancelled"] * 750)
        ],
    )
    db.session.commit()
    login(client, admin.email)

    with counted_queries() as statements:
        response = client.get("/organiser/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = page.count("<tr data-event=")
    assert 150 < shown < 300  # one day of seven
    assert 'aria-current="page"' in page
    # Session/user load, the days, the events, one aggregate of counts: no query per event.
    aggregates = [s for s in statements if "GROUP BY" in s.upper()]
    assert len(aggregates) == 1
    assert len(statements) <= 6, statements

    board = dashboard(db.session, admin, None, today=date(2023, 8, 16))
    assert board.total == 1500 > ALL_DAYS_LIMIT
    assert board.shown_day == date(2023, 8, 16)
    every = counts_by_event(db.session, ids)
    assert sum(c.confirmed for c in every.values()) == 750
    assert sum(c.waitlisted + c.pending + c.cancelled for c in every.values()) == 2250
