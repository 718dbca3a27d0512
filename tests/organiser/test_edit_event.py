"""Editing an event: change notices with an updated calendar file, history, capacity, cancelling."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import icalendar
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.models import Event, OutboxMessage, Registration, RegistrationStatus
from tests.organiser.conftest import CONNECT_EVENT, login

SLUG = "fremtidens-kreftbehandling"
FORM = {
    "title": "Fremtidens kreftbehandling",
    "description": "Hvordan ser kreftbehandlingen ut om ti år?",
    "starts_at": "2023-08-15T08:00",
    "ends_at": "2023-08-15T09:00",
    "venue_name": "Clarion Hotel Tyholmen Sal A",
    "venue_address": "Teaterplassen 2, 4836 Arendal",
    "capacity": "80",
    "attendance": ["in_person", "online"],
    "notify": "y",
}
MOVED = {
    **FORM,
    "starts_at": "2023-08-15T10:00",
    "ends_at": "2023-08-15T11:30",
    "venue_name": "Arendal kulturhus",
}


def _event() -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == SLUG))
    assert event is not None
    return event


def _people(make_registration: Callable[..., Registration], capacity: int = 80) -> dict[str, Registration]:
    event = _event()
    event.capacity = capacity
    event.description = FORM["description"]
    db.session.commit()
    people = {
        "kari": make_registration(SLUG, "Kari Nordmann", email="kari@example.org"),
        "ola": make_registration(SLUG, "Ola Nordmann", email="ola@example.org", attendance="online"),
        "per": make_registration(SLUG, "Per Hansen", email="per@example.org"),
        "sofie": make_registration(SLUG, "Sofie Berg", email="sofie@example.org", status="waitlisted"),
        "jonas": make_registration(SLUG, "Jonas Lie", email="jonas@example.org", status="cancelled"),
        "mo": make_registration(SLUG, "Mo Ali", email="mo@example.org", status="pending"),
    }
    event.seats_taken = 2  # Kari and Per hold seats
    db.session.commit()
    return people


def _mails(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.recipient)
        )
    )


def _calendar(mail: OutboxMessage) -> icalendar.Calendar:
    (attachment,) = mail.attachments
    return icalendar.Calendar.from_ical(attachment["data"])


def test_the_form_shows_the_event_and_errors_next_to_the_fields(
    occ_client: FlaskClient, programme: Any
) -> None:
    page = occ_client.get(f"/organiser/events/{SLUG}/edit")
    assert page.status_code == 200
    assert 'value="2023-08-15T08:00"' in page.text  # Oslo time, as in the programme
    assert 'value="Clarion Hotel Tyholmen Sal A"' in page.text
    bad = occ_client.post(
        f"/organiser/events/{SLUG}/edit",
        data={**FORM, "title": "", "ends_at": "2023-08-15T07:00", "capacity": "-3", "attendance": []},
    )
    assert bad.status_code == 200
    for field, message in [
        ("title", "Give the event a title."),
        ("ends_at", "The end must be after the start."),
        ("capacity", "Give a number of seats from 0 to 100,000."),
        ("attendance", "Choose at least one way to attend."),
    ]:
        assert f'id="{field}-error"' in bad.text, field
        assert message in bad.text
    assert _event().title == "Fremtidens kreftbehandling"


def test_another_organisers_event_cannot_be_edited_or_cancelled(
    occ_client: FlaskClient, programme: Any
) -> None:
    assert occ_client.get(f"/organiser/events/{CONNECT_EVENT}/edit").status_code == 404
    assert occ_client.post(f"/organiser/events/{CONNECT_EVENT}/edit", data=MOVED).status_code == 404
    assert occ_client.post(f"/organiser/events/{CONNECT_EVENT}/cancel").status_code == 404


def test_moving_an_event_previews_then_mails_an_updated_calendar(
    occ_client: FlaskClient, programme: Any, make_registration: Callable[..., Registration]
) -> None:
    _people(make_registration)
    public_ics = icalendar.Calendar.from_ical(occ_client.get(f"/events/{SLUG}.ics").data)
    (before,) = public_ics.walk("VEVENT")

    preview = occ_client.post(f"/organiser/events/{SLUG}/edit", data=MOVED)
    assert preview.status_code == 200
    assert "Notify the 4 attendees" in preview.text  # 3 confirmed (one online) and 1 waiting
    assert "Tuesday 15 August 2023, 08:00–09:00" in preview.text
    assert "Tuesday 15 August 2023, 10:00–11:30" in preview.text
    assert "Arendal kulturhus" in preview.text
    assert _mails("event_changed") == []  # nothing is saved or sent by the preview
    assert _event().venue.name == "Clarion Hotel Tyholmen Sal A"

    saved = occ_client.post(f"/organiser/events/{SLUG}/edit", data={**MOVED, "step": "save", "notify": "y"})
    assert saved.status_code == 302
    page = occ_client.get(f"/organiser/events/{SLUG}/edit").text
    assert "4 attendees are being mailed about the change." in page

    mails = _mails("event_changed")
    assert [m.recipient for m in mails] == [
        "kari@example.org",
        "ola@example.org",
        "per@example.org",
        "sofie@example.org",
    ]
    kari = mails[0]
    # Kari signed up in Norwegian: her notice is in Norwegian, with old and new.
    assert "tirsdag 15. august 2023, 08:00–09:00 → tirsdag 15. august 2023, 10:00–11:30" in kari.body_text
    assert (
        "Clarion Hotel Tyholmen Sal A, Teaterplassen 2, 4836 Arendal → Arendal kulturhus, Teaterplassen 2"
        in kari.body_text
    )
    (after,) = _calendar(kari).walk("VEVENT")
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) > int(before["sequence"])
    assert after.decoded("dtstart").hour == 10
    assert "Arendal kulturhus" in str(after["location"])
    # The public feed carries the new sequence too.
    (feed,) = icalendar.Calendar.from_ical(occ_client.get(f"/events/{SLUG}.ics").data).walk("VEVENT")
    assert int(feed["sequence"]) == int(after["sequence"])

    # The history says who changed what, and when.
    assert "occ@example.org" in page
    assert "4 attendees mailed" in page
    # Saving the same values again changes and sends nothing.
    occ_client.post(f"/organiser/events/{SLUG}/edit", data={**MOVED, "step": "save", "notify": "y"})
    assert len(_mails("event_changed")) == 4


def test_without_notify_nothing_is_mailed_and_a_text_edit_needs_no_preview(
    occ_client: FlaskClient, programme: Any, make_registration: Callable[..., Registration]
) -> None:
    _people(make_registration)
    before = _event().sequence
    response = occ_client.post(f"/organiser/events/{SLUG}/edit", data={**MOVED, "step": "save", "notify": ""})
    assert response.status_code == 302
    assert _mails("event_changed") == []
    assert _event().sequence == before + 1  # calendars still see the move
    text_only = occ_client.post(
        f"/organiser/events/{SLUG}/edit", data={**MOVED, "title": "Ny tittel", "notify": "y"}
    )
    assert text_only.status_code == 302  # no preview: attendees are not told about a title
    assert _event().title == "Ny tittel"
    assert _mails("event_changed") == []


def test_a_capacity_raise_promotes_the_waiting_list(
    occ_client: FlaskClient, programme: Any, make_registration: Callable[..., Registration]
) -> None:
    people = _people(make_registration, capacity=2)
    response = occ_client.post(f"/organiser/events/{SLUG}/edit", data={**FORM, "capacity": "3"})
    assert response.status_code == 302
    assert "1 moved up from the waiting list." in occ_client.get(f"/organiser/events/{SLUG}/edit").text
    sofie = db.session.get(Registration, people["sofie"].id)
    assert sofie is not None
    assert sofie.status == RegistrationStatus.CONFIRMED
    assert [m.recipient for m in _mails("promoted")] == ["sofie@example.org"]


def test_cancelling_mails_everyone_a_cancel_calendar_and_closes_sign_up(
    occ_client: FlaskClient,
    client: FlaskClient,
    programme: Any,
    make_registration: Callable[..., Registration],
) -> None:
    _people(make_registration)
    before = _event().sequence
    ask = occ_client.get(f"/organiser/events/{SLUG}/cancel")
    assert "5 people signed up get a mail" in ask.text  # confirmed, waiting and unconfirmed
    assert not _event().is_cancelled  # the GET changed nothing
    assert occ_client.post(f"/organiser/events/{SLUG}/cancel").status_code == 302
    mails = _mails("event_cancelled")
    assert [m.recipient for m in mails] == [
        "kari@example.org",
        "mo@example.org",
        "ola@example.org",
        "per@example.org",
        "sofie@example.org",
    ]
    cal = _calendar(mails[0])
    assert str(cal["method"]) == "CANCEL"
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["status"]) == "CANCELLED"
    assert int(vevent["sequence"]) == before + 1
    # A second cancel sends nothing more.
    occ_client.post(f"/organiser/events/{SLUG}/cancel")
    assert len(_mails("event_cancelled")) == 5

    public = client.get(f"/events/{SLUG}?lang=en")
    assert "This event is cancelled." in public.text
    assert 'id="signup"' not in public.text
    signup = client.post(
        f"/events/{SLUG}/register",
        data={"name": "Late Comer", "email": "late@example.org", "consent": "y", "attendance": "in_person"},
    )
    assert signup.status_code == 410
    assert "This event is cancelled: sign-up is closed." in signup.text
    assert db.session.scalar(select(Registration).where(Registration.email == "late@example.org")) is None


def test_an_admin_adds_an_event_and_an_organiser_may_not(
    app: Any, occ_client: FlaskClient, programme: Any, make_account: Any
) -> None:
    assert occ_client.get("/organiser/events/new").status_code == 403
    make_account("admin@example.org", admin=True)
    client = app.test_client()
    client.get("/?lang=en")
    assert login(client, "admin@example.org").status_code == 302
    page = client.get("/organiser/events/new").text
    occ_id = re.search(r'<option value="(\d+)">Oslo Cancer Cluster</option>', page)
    assert occ_id
    missing = client.post("/organiser/events/new", data={**FORM, "title": "", "organisers": []})
    assert 'id="organisers-error"' in missing.text
    assert 'id="title-error"' in missing.text
    added = client.post(
        "/organiser/events/new",
        data={**FORM, "title": "Kreftforskning i Norge", "language": "nb", "organisers": [occ_id.group(1)]},
    )
    assert added.status_code == 302
    assert added.headers["Location"].endswith("/organiser/events/kreftforskning-i-norge/edit")
    public = client.get("/events/kreftforskning-i-norge")
    assert public.status_code == 200
    assert "Kreftforskning i Norge" in public.text
    # The organiser of Oslo Cancer Cluster sees it; its history says who added it.
    edit = occ_client.get("/organiser/events/kreftforskning-i-norge/edit").text
    assert "admin@example.org" in edit


def test_a_notice_expires_with_the_event_and_skips_someone_who_cancelled_meanwhile(
    occ_client: FlaskClient, programme: Any, make_registration: Callable[..., Registration]
) -> None:
    from hub.mail.delivery import deliver_pending
    from hub.timeutil import local, utcnow

    people = _people(make_registration)
    soon = local(utcnow() + timedelta(days=10)).replace(hour=10, minute=0)
    moved = {
        **MOVED,
        "starts_at": soon.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (soon + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    occ_client.post(f"/organiser/events/{SLUG}/edit", data={**moved, "step": "save", "notify": "y"})
    kari = db.session.get(Registration, people["kari"].id)
    assert kari is not None
    kari.status = RegistrationStatus.CANCELLED
    db.session.commit()
    mails = {m.recipient: m for m in _mails("event_changed")}
    assert mails["per@example.org"].expires_at == _event().ends_at
    report = deliver_pending(utcnow() + timedelta(minutes=1))
    db.session.expire_all()
    assert mails["kari@example.org"].sent_at is None
    assert mails["kari@example.org"].last_error == "expired: the sign-up was cancelled"
    assert mails["per@example.org"].sent_at is not None
    assert report.expired == 1
