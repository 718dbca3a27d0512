"""One order for the waiting list: the attendee's place, the organiser's list and CSV, promotion."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Account, Registration, RegistrationStatus
from hub.organiser import queries
from hub.registration import service
from tests.factories import make_event
from tests.registration.conftest import T0, details, outbox

WAITLISTED = RegistrationStatus.WAITLISTED


def waitlisted(event: Any, email: str, created: int, joined: int | None) -> Registration:
    """A waitlisted row; ``joined`` None is a row without waitlisted_at (e.g. entered by hand)."""
    registration = Registration(
        event=event,
        email=email,
        name=email.split("@")[0],
        status=WAITLISTED,
        created_at=T0 + timedelta(minutes=created),
        confirmed_at=T0 + timedelta(minutes=created),
        waitlisted_at=None if joined is None else T0 + timedelta(minutes=joined),
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def test_attendee_organiser_export_and_promotion_agree_on_the_line(
    password_hash: str, app: Any, client: FlaskClient, links: Links
) -> None:
    event = make_event(capacity=1)
    service.sign_up(db.session, event, details("holder@example.org"), now=T0, links=links)
    holder = service.find_registration(db.session, event, "holder@example.org")
    assert holder is not None
    service.confirm(db.session, holder, now=T0, links=links)
    db.session.commit()
    late = waitlisted(event, "late@example.org", created=1, joined=30)
    by_hand = waitlisted(event, "by-hand@example.org", created=5, joined=None)
    early = waitlisted(event, "early@example.org", created=3, joined=10)
    tie_first = waitlisted(event, "tie-first@example.org", created=6, joined=20)
    tie_second = waitlisted(event, "tie-second@example.org", created=7, joined=20)
    line = [by_hand, early, tie_first, tie_second, late]

    assert service.waitlist(db.session, event) == line
    assert [service.waitlist_position(db.session, r) for r in line] == [1, 2, 3, 4, 5]
    assert queries.waitlist(db.session, event) == line
    assert queries.waitlist_positions(db.session, event) == {r.id: i for i, r in enumerate(line, start=1)}

    # What an organiser downloads says the same.
    admin = Account(email="admin@example.org", is_admin=True, password_hash=password_hash)
    db.session.add(admin)
    db.session.commit()
    client.get("/?lang=en")  # the export's headers follow the interface language
    client.post("/organiser/login", data={"email": admin.email, "password": "correct horse battery"})
    body = client.get("/organiser/events/test-event/registrations.csv").get_data(as_text=True)
    positions = {
        row["email"]: row["waitlist_position"] for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))
    }
    assert [positions[r.email] for r in line] == ["1", "2", "3", "4", "5"]

    # And the seat freed by a cancellation goes to the first in that line.
    service.cancel(db.session, holder, now=T0 + timedelta(hours=1), links=links)
    db.session.commit()
    assert [m.recipient for m in outbox("promoted")] == ["by-hand@example.org"]
    assert service.waitlist(db.session, event) == line[1:]
