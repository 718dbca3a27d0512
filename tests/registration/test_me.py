""" "My sign-ups": one mail per request with the /me link, the same answer for any address, the
page of every sign-up, the export of everything held, the owner's corrections and erasure."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import JSON, String, Text, func, select, text

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Consent, Event, OutboxMessage, Registration, RegistrationStatus, SignupTally
from hub.organiser.queries import counts_by_event
from hub.registration import personal, service
from hub.registration.privacy import privacy_version
from hub.timeutil import utcnow
from tests.factories import make_event
from tests.registration.conftest import outbox

ADA = "ada@example.org"


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def path_of(url: str | None) -> str:
    assert url is not None
    return url.removeprefix("http://hub.test")


def sign_up(client: FlaskClient, slug: str, email: str = ADA, **fields: str) -> None:
    data = {"name": "Ada Lovelace", "email": email, "attendance": "in_person", "consent": "y", **fields}
    assert client.post(f"/events/{slug}/register?lang=en", data=data).status_code == 302


def confirm(client: FlaskClient, email: str = ADA) -> None:
    url = db.session.scalars(
        select(OutboxMessage.action_url)
        .where(OutboxMessage.recipient == email, OutboxMessage.kind == "confirm")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert client.post(path_of(url)).status_code == 302


def me_link(client: FlaskClient, email: str = ADA) -> str:
    client.post("/me?lang=en", data={"email": email})
    (mail,) = outbox("me", to=email)
    return path_of(mail.action_url)


def test_one_mail_per_request_and_the_same_answer_for_any_address(client: FlaskClient) -> None:
    for i in range(4):
        make_event(f"event-{i}", capacity=5)
        sign_up(client, f"event-{i}")
    before = len(outbox(to=ADA))
    answers = []
    for email in (ADA, "nobody@example.org", ADA, "ADA@Example.org"):
        response = client.post("/me?lang=en", data={"email": email}, follow_redirects=True)
        assert response.status_code == 200
        answers.append(text_of(response.text))
    assert len(set(answers)) == 1
    assert "If that address has sign-ups with us, we have sent it a link" in answers[0]
    # Four sign-ups, three requests: one mail (the next only after ME_LINK_INTERVAL).
    assert len(outbox(to=ADA)) == before + 1
    (mail,) = outbox("me", to=ADA)
    assert "/me/" in mail.body_text
    assert outbox(to="nobody@example.org") == []
    bad = client.post("/me?lang=en", data={"email": "not an address"})
    assert bad.status_code == 400
    assert "Please enter a valid email address" in bad.text


def test_the_request_interval_is_configurable(app: Flask) -> None:
    event = make_event(capacity=5)
    links = Links.from_app(app)
    service.sign_up(
        db.session, event, service.SignupDetails("Ada", ADA, None, None, "en"), now=utcnow(), links=links
    )
    now = utcnow()
    interval = timedelta(minutes=15)
    sent = [
        personal.request_me_link(
            db.session, ADA, now=now + timedelta(minutes=m), links=links, interval=interval
        )
        for m in (0, 5, 14, 16)
    ]
    assert sent == [True, False, False, True]
    assert (
        personal.request_me_link(db.session, "nobody@example.org", now=now, links=links, interval=interval)
        is False
    )


def test_every_mail_to_an_attendee_carries_the_me_link(client: FlaskClient) -> None:
    make_event(capacity=5)
    sign_up(client, "test-event")
    confirm(client)
    for mail in outbox(to=ADA):
        assert re.search(r"http://hub\.test/me/[\w.\-]+", mail.body_text), mail.kind
        assert "/me/" in (mail.body_html or ""), mail.kind


def test_the_page_lists_every_sign_up_with_status_place_and_actions(client: FlaskClient) -> None:
    make_event("pending-one", capacity=5)
    make_event("full", capacity=1, title="Full event")
    make_event("online", attendance=["online"], title="Online event")
    sign_up(client, "pending-one")
    sign_up(client, "full", email="bob@example.org")
    confirm(client, "bob@example.org")
    sign_up(client, "full")
    confirm(client)
    sign_up(client, "online")
    confirm(client)
    sign_up(client, "pending-one", email="bob@example.org")

    page = client.get(me_link(client) + "?lang=en")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    body = text_of(page.text)
    assert "Every sign-up of ada@example.org" in body
    assert body.count("Cancel this sign-up") == 3
    assert "Number 1 on the waiting list." in body
    assert "Awaiting confirmation" in body
    assert 'href="/events/online.ics"' in page.text  # the calendar where there is a place
    # The personal watch link, never the raw YouTube address (it goes stale when the stream changes).
    assert re.search(r'href="http://hub\.test/watch/[\w.\-]+"', page.text)
    assert "https://www.youtube.com/watch?v=abcdefghijk" not in page.text
    assert "bob@example.org" not in page.text  # only this address's sign-ups
    assert 'class="qr"' not in page.text  # no place in the room, so no ticket for the door

    # The cancel button works from the page: the waiting list place goes.
    cancel_forms = re.findall(r'action="http://hub.test(/registrations/cancel/[^"]+)"', page.text)
    assert len(cancel_forms) == 3
    for action in cancel_forms:
        client.post(action)
    statuses = db.session.scalars(select(Registration.status).where(Registration.email == ADA)).all()
    assert set(statuses) == {RegistrationStatus.CANCELLED}


def test_a_seat_in_the_room_shows_the_qr_ticket(client: FlaskClient) -> None:
    make_event("room", capacity=5, attendance=["in_person"])
    sign_up(client, "room")
    confirm(client)
    page = client.get(me_link(client) + "?lang=en").text
    assert page.count('class="qr"') == 1
    assert "Show my ticket (QR code for the door)" in page
    assert "<script" not in page.split('class="me-ticket-code"')[1].split("</div>")[0]


def test_a_bad_or_foreign_token_shows_the_friendly_page(client: FlaskClient) -> None:
    make_event(capacity=5)
    sign_up(client, "test-event")
    link = me_link(client)
    for path in (link[:-3] + "xyz", "/me/nonsense", "/me/nonsense/data.json"):
        response = client.get(path + "?lang=en")
        assert response.status_code == 400
        assert "no-store" in response.headers["Cache-Control"]
    # A cancel token is not a /me token.
    cancel = outbox("confirm")[0]
    assert client.get("/me/" + path_of(cancel.action_url).rsplit("/", 1)[-1]).status_code == 400


def test_the_export_holds_everything_about_the_address(client: FlaskClient, app: Flask) -> None:
    make_event("one", capacity=5, title="Event one")
    make_event("two", capacity=5, title="Event two")
    sign_up(client, "one", organisation="Oslo Cancer Cluster")
    confirm(client)
    sign_up(client, "two")
    registration = db.session.scalar(select(Registration).where(Registration.event.has(Event.slug == "one")))
    assert registration is not None
    registration.checked_in_at = utcnow()
    db.session.commit()

    response = client.get(me_link(client) + "/data.json")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["email"] == ADA
    assert [r["event"]["slug"] for r in data["registrations"]] == ["one", "two"]
    one = data["registrations"][0]
    assert (one["name"], one["organisation"], one["status"]) == (
        "Ada Lovelace",
        "Oslo Cancer Cluster",
        "confirmed",
    )
    assert one["checked_in_at"] is not None
    assert [c["event"] for c in data["check_ins"]] == ["one"]
    with app.test_request_context():
        version = privacy_version()
    assert [(c["event"], c["purpose"], c["privacy_text_version"]) for c in data["consents"]] == [
        ("one", "event-signup", version),
        ("two", "event-signup", version),
    ]
    assert all(c["language"] == "en" and c["given_at"] for c in data["consents"])
    assert sorted(m["kind"] for m in data["mails"]) == ["confirm", "confirm", "confirmed", "me"]
    assert all(m["subject"] and m["queued_at"] for m in data["mails"])
    assert "/registrations/" not in response.text  # no links: they hold tokens
    assert "/me/" not in response.text


def test_the_owner_corrects_the_details_from_their_link(client: FlaskClient) -> None:
    make_event(capacity=5)
    sign_up(client, "test-event", name="Ada Lovelcae")
    registration = db.session.scalar(select(Registration))
    assert registration is not None
    link = me_link(client)
    data = {f"r{registration.id}-name": "Ada Lovelace", f"r{registration.id}-organisation": "OCC"}
    response = client.post(
        f"{link}/details/{registration.public_id}?lang=en", data=data, follow_redirects=True
    )
    assert "Your details are saved." in response.text
    db.session.refresh(registration)
    assert (registration.name, registration.organisation) == ("Ada Lovelace", "OCC")
    # Someone else's sign-up cannot be changed with this link.
    sign_up(client, "test-event", email="bob@example.org")
    bob = db.session.scalar(select(Registration).where(Registration.email == "bob@example.org"))
    assert bob is not None
    data = {f"r{bob.id}-name": "Mallory"}
    assert client.post(f"{link}/details/{bob.public_id}", data=data).status_code == 400
    db.session.refresh(bob)
    assert bob.name == "Ada Lovelace"


def _tables_mentioning(address: str) -> dict[str, int]:
    """Every table, every text or JSON column: how many rows mention the address (any case)."""
    found: dict[str, int] = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, JSON):
                    value = func.lower(column.cast(Text))
                elif isinstance(column.type, String | Text):
                    value = func.lower(column)
                else:
                    continue
                where = value.contains(address.lower(), autoescape=True)
                if count := connection.scalar(select(func.count()).select_from(table).where(where)):
                    found[f"{table.name}.{column.name}"] = count
    return found


def test_erasure_leaves_no_trace_frees_the_seat_and_keeps_counts(client: FlaskClient) -> None:
    event = make_event(capacity=1)
    past = make_event("past", starts_at=utcnow() - timedelta(days=3))
    db.session.add(
        Registration(
            event_id=past.id,
            email=ADA,
            name="Ada Lovelace",
            status=RegistrationStatus.CONFIRMED,
            checked_in_at=utcnow() - timedelta(days=3),
        )
    )
    db.session.commit()
    sign_up(client, "test-event")
    confirm(client)
    sign_up(client, "test-event", email="bob@example.org", name="Bob")
    confirm(client, "bob@example.org")  # waiting list
    link = me_link(client)
    before = counts_by_event(db.session, [event.id, past.id])
    assert _tables_mentioning(ADA)  # the check below can see the address

    # A GET shows the confirmation step; a POST without the box ticked erases nothing.
    page = client.get(f"{link}/erase?lang=en")
    assert page.status_code == 200
    assert "Erase my data" in page.text
    assert "no-store" in page.headers["Cache-Control"]
    refused = client.post(f"{link}/erase?lang=en", data={})
    assert refused.status_code == 400
    assert "Please tick the box" in refused.text
    assert db.session.scalar(select(func.count(Registration.id)).where(Registration.email == ADA)) == 2

    done = client.post(f"{link}/erase?lang=en", data={"confirm": "y"}, follow_redirects=True)
    assert done.status_code == 200
    assert "Your data is erased." in done.text
    assert _tables_mentioning(ADA) == {}
    assert db.session.scalar(select(func.count(Consent.id))) == 1  # Bob's
    # Ada's seat went to Bob, who was first in line, with his mail.
    bob = db.session.scalar(select(Registration).where(Registration.email == "bob@example.org"))
    assert bob is not None
    assert bob.status == RegistrationStatus.CONFIRMED
    assert [m.recipient for m in outbox("promoted")] == ["bob@example.org"]
    assert db.session.scalar(select(Event.seats_taken).where(Event.id == event.id)) == 1
    # Anonymous counts stay: the past event still shows its confirmed, checked-in attendee.
    after = counts_by_event(db.session, [event.id, past.id])
    assert before[past.id].confirmed == 1
    assert (after[past.id].confirmed, after[past.id].checked_in) == (1, 1)
    assert after[event.id].confirmed == 1
    assert after[event.id].cancelled == 1
    assert db.session.scalar(select(func.count()).select_from(SignupTally)) == 2
    # The link is dead now.
    assert client.get(link).status_code == 400


def test_erasure_in_the_database_leaves_nothing_behind_in_any_column(app: Flask) -> None:
    """The same check, straight on the database, for every table the schema has."""
    event = make_event(capacity=5)
    links = Links.from_app(app)
    details = service.SignupDetails("Ada", ADA, "Org", None, "en", privacy_version="v1")
    service.sign_up(db.session, event, details, now=utcnow(), links=links)
    db.session.commit()
    personal.erase_address(db.session, ADA.upper(), now=utcnow(), links=links)
    db.session.commit()
    assert _tables_mentioning(ADA) == {}
    assert db.session.execute(text("SELECT count(*) FROM registrations")).scalar() == 0
