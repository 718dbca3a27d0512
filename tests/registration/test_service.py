"""The registration rules without HTTP: capacity, waiting list, promotion, duplicates, links."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Attendance, Event, OutboxMessage, Registration, RegistrationStatus
from hub.registration import service
from hub.registration.service import SignupOutcome
from hub.tokens import Purpose, fingerprint, make_token
from tests.factories import make_event
from tests.registration.conftest import T0, details, outbox

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
PENDING = RegistrationStatus.PENDING
CANCELLED = RegistrationStatus.CANCELLED


def at(minutes: float) -> Any:
    return T0 + timedelta(minutes=minutes)


def signed_up(event: Event, email: str, links: Links, minute: float = 0, **kw: Any) -> Registration:
    service.sign_up(db.session, event, details(email, **kw), now=at(minute), links=links)
    db.session.commit()
    registration = service.find_registration(db.session, event, email)
    assert registration is not None
    return registration


def confirmed(event: Event, email: str, links: Links, minute: float = 0, **kw: Any) -> Registration:
    registration = signed_up(event, email, links, minute, **kw)
    service.confirm(db.session, registration, now=at(minute + 0.5), links=links)
    db.session.commit()
    return registration


def seats_taken(event: Event) -> int:
    return int(db.session.scalar(select(Event.seats_taken).where(Event.id == event.id)) or 0)


def test_sign_up_is_pending_and_queues_the_confirm_mail_in_the_same_transaction(
    app: Any, links: Links
) -> None:
    event = make_event(capacity=10)
    outcome = service.sign_up(db.session, event, details("ada@example.org"), now=T0, links=links)
    assert outcome == SignupOutcome.CREATED
    db.session.rollback()  # nothing kept: neither the registration nor its mail
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert outbox() == []

    registration = signed_up(event, "Ada@Example.ORG", links)
    assert registration.status == PENDING
    assert registration.email == "ada@example.org"
    assert registration.attendance == Attendance.IN_PERSON
    (mail,) = outbox()
    assert mail.kind == "confirm"
    assert mail.recipient == "ada@example.org"
    assert mail.registration_id == registration.id
    assert mail.action_url is not None
    assert mail.action_url.startswith("http://hub.test/registrations/confirm/")
    assert mail.action_url in mail.body_text
    assert seats_taken(event) == 0  # a pending sign-up holds no seat


def test_confirm_gives_seats_up_to_capacity_then_the_waiting_list_in_order(app: Any, links: Links) -> None:
    event = make_event(capacity=2)
    people = [signed_up(event, f"p{i}@example.org", links, minute=i) for i in range(5)]
    # Confirm in an order different from sign-up: confirmation time decides.
    for minute, index in enumerate([3, 0, 4, 1, 2], start=10):
        service.confirm(db.session, people[index], now=at(minute), links=links)
        db.session.commit()
    assert [p.status for p in people] == [CONFIRMED, WAITLISTED, WAITLISTED, CONFIRMED, WAITLISTED]
    assert seats_taken(event) == 2
    assert [r.email for r in service.waitlist(db.session, event)] == [
        "p4@example.org",
        "p1@example.org",
        "p2@example.org",
    ]
    assert [service.waitlist_position(db.session, people[i]) for i in (4, 1, 2, 0)] == [1, 2, 3, None]
    assert len(outbox("confirmed")) == 2
    assert len(outbox("waitlisted")) == 3


def test_online_attendance_is_unlimited_and_takes_no_seat(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    confirmed(event, "room@example.org", links)
    remote = confirmed(event, "remote@example.org", links, minute=1, attendance=Attendance.ONLINE)
    late = confirmed(event, "late@example.org", links, minute=2)
    assert remote.status == CONFIRMED
    assert remote.attendance == Attendance.ONLINE
    assert late.status == WAITLISTED
    assert seats_taken(event) == 1


def test_attendance_is_one_the_event_offers(app: Any, links: Links) -> None:
    online_only = make_event("online-only", attendance=["online"], capacity=0)
    room_only = make_event("room-only", attendance=["in_person"], capacity=5)
    assert signed_up(online_only, "a@example.org", links).attendance == Attendance.ONLINE
    asked_online = signed_up(room_only, "b@example.org", links, attendance=Attendance.ONLINE)
    assert asked_online.attendance == Attendance.IN_PERSON
    # Online-only with capacity 0: still confirmed, online is not limited.
    registration = service.find_registration(db.session, online_only, "a@example.org")
    assert registration is not None
    assert service.confirm(db.session, registration, now=T0, links=links).status == CONFIRMED


def test_no_capacity_means_no_limit(app: Any, links: Links) -> None:
    event = make_event(capacity=None)
    for i in range(30):
        assert confirmed(event, f"n{i}@example.org", links, minute=i).status == CONFIRMED
    assert seats_taken(event) == 30


def test_confirming_twice_is_harmless(app: Any, links: Links) -> None:
    event = make_event(capacity=5)
    registration = confirmed(event, "ada@example.org", links)
    first_confirmed_at = registration.confirmed_at
    service.confirm(db.session, registration, now=at(60), links=links)
    db.session.commit()
    assert registration.status == CONFIRMED
    assert registration.confirmed_at == first_confirmed_at
    assert seats_taken(event) == 1
    assert len(outbox("confirmed")) == 1


def test_cancel_promotes_the_first_in_line_and_tells_them(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    holder = confirmed(event, "holder@example.org", links, minute=0)
    second = confirmed(event, "second@example.org", links, minute=1)
    third = confirmed(event, "third@example.org", links, minute=2)
    assert (second.status, third.status) == (WAITLISTED, WAITLISTED)

    service.cancel(db.session, holder, now=at(10), links=links)
    db.session.commit()
    assert holder.status == CANCELLED
    assert holder.cancelled_at == at(10)
    db.session.refresh(second)
    db.session.refresh(third)
    assert second.status == CONFIRMED
    assert second.promoted_at == at(10)
    assert third.status == WAITLISTED
    assert seats_taken(event) == 1  # the seat passed on
    (promoted,) = outbox("promoted")
    assert promoted.recipient == "second@example.org"
    assert [m.recipient for m in outbox("cancelled")] == ["holder@example.org"]
    assert promoted.attachments[0]["filename"] == "test-event.ics"

    # Cancelling again is harmless: no second mail, no second promotion.
    service.cancel(db.session, holder, now=at(11), links=links)
    db.session.commit()
    db.session.refresh(third)
    assert third.status == WAITLISTED
    assert len(outbox("cancelled")) == 1


def test_cancel_with_nobody_waiting_frees_the_seat(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    holder = confirmed(event, "holder@example.org", links)
    service.cancel(db.session, holder, now=at(5), links=links)
    db.session.commit()
    assert seats_taken(event) == 0
    assert confirmed(event, "next@example.org", links, minute=6).status == CONFIRMED


def test_cancelling_a_waitlisted_or_online_sign_up_promotes_nobody(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    confirmed(event, "holder@example.org", links, minute=0)
    remote = confirmed(event, "remote@example.org", links, minute=1, attendance=Attendance.ONLINE)
    waiting = confirmed(event, "waiting@example.org", links, minute=2)
    later = confirmed(event, "later@example.org", links, minute=3)
    service.cancel(db.session, remote, now=at(10), links=links)
    service.cancel(db.session, waiting, now=at(11), links=links)
    db.session.commit()
    db.session.refresh(later)
    assert later.status == WAITLISTED
    assert seats_taken(event) == 1
    assert outbox("promoted") == []


def test_confirming_a_cancelled_sign_up_is_refused(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    registration = signed_up(event, "ada@example.org", links)
    service.cancel(db.session, registration, now=at(1), links=links)
    db.session.commit()
    with pytest.raises(service.AlreadyCancelled):
        service.confirm(db.session, registration, now=at(2), links=links)
    assert seats_taken(event) == 0


def test_promote_waitlisted_fills_seats_after_the_capacity_was_raised(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    confirmed(event, "a@example.org", links, minute=0)
    waiting = [confirmed(event, f"w{i}@example.org", links, minute=i + 1) for i in range(3)]
    event.capacity = 3
    db.session.commit()
    promoted = service.promote_waitlisted(db.session, event, now=at(30), links=links)
    db.session.commit()
    assert [r.email for r in promoted] == ["w0@example.org", "w1@example.org"]
    assert [r.status for r in waiting] == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert seats_taken(event) == 3
    assert len(outbox("promoted")) == 2


def test_cancel_keeps_to_a_capacity_lowered_below_the_seats_taken(app: Any, links: Links) -> None:
    event = make_event(capacity=2)
    first = confirmed(event, "a@example.org", links, minute=0)
    second = confirmed(event, "b@example.org", links, minute=1)
    waiting = confirmed(event, "w@example.org", links, minute=2)
    event.capacity = 1  # as `flask hub import` does
    db.session.commit()

    service.cancel(db.session, first, now=at(10), links=links)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status == WAITLISTED
    assert seats_taken(event) == 1
    assert outbox("promoted") == []

    service.cancel(db.session, second, now=at(11), links=links)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status == CONFIRMED
    assert seats_taken(event) == 1


def test_cancel_fills_every_free_seat_in_line_order(app: Any, links: Links) -> None:
    """Seats freed by a raised capacity (not yet filled) go to the waiting list with the cancelled one."""
    event = make_event(capacity=1)
    holder = confirmed(event, "holder@example.org", links, minute=0)
    waiting = [confirmed(event, f"w{i}@example.org", links, minute=i + 1) for i in range(4)]
    event.capacity = 3
    db.session.commit()

    service.cancel(db.session, holder, now=at(10), links=links)
    db.session.commit()
    for registration in waiting:
        db.session.refresh(registration)
    assert [r.status for r in waiting] == [CONFIRMED, CONFIRMED, CONFIRMED, WAITLISTED]
    assert seats_taken(event) == 3
    assert [m.recipient for m in outbox("promoted")] == [f"w{i}@example.org" for i in range(3)]


def test_same_address_twice_while_pending_changes_nothing_and_resends_once_an_hour(
    app: Any, links: Links
) -> None:
    """A stranger signing up with someone's pending address cannot rewrite the sign-up."""
    event = make_event(capacity=5)
    signed_up(event, "ada@example.org", links, name="Ada", organisation="Oslo Cancer Cluster")
    for minute in (1, 61):
        outcome = service.sign_up(
            db.session,
            event,
            details(" ADA@example.org ", name="Mallory", organisation="Evil", attendance=Attendance.ONLINE),
            now=at(minute),
            links=links,
        )
        db.session.commit()
        assert outcome == SignupOutcome.CONFIRM_RESENT
    (registration,) = db.session.scalars(select(Registration)).all()
    assert (registration.name, registration.organisation) == ("Ada", "Oslo Cancer Cluster")
    assert registration.attendance == Attendance.IN_PERSON
    # The repeat in the first hour is the first mail; one resend in the next hour.
    assert [m.kind for m in outbox()] == ["confirm", "confirm"]
    assert "Mallory" not in outbox()[1].body_text


def test_same_address_twice_when_confirmed_resends_the_status_and_changes_nothing(
    app: Any, links: Links
) -> None:
    event = make_event(capacity=1)
    confirmed(event, "ada@example.org", links, name="Ada")
    waiting = confirmed(event, "bob@example.org", links, minute=1, name="Bob")
    assert waiting.status == WAITLISTED

    for email, kind in (("ada@example.org", "confirmed"), ("bob@example.org", "waitlisted")):
        outcome = service.sign_up(
            db.session,
            event,
            details(email, name="Mallory", attendance=Attendance.ONLINE),
            now=at(5),
            links=links,
        )
        db.session.commit()
        assert outcome == SignupOutcome.STATUS_RESENT
        mails = outbox(kind, to=email)
        assert len(mails) == 2
        assert mails[-1].action_url is not None
        assert "/registrations/cancel/" in mails[-1].action_url
    names = db.session.scalars(select(Registration.name).order_by(Registration.id)).all()
    assert names == ["Ada", "Bob"]  # a stranger cannot change a confirmed sign-up
    assert db.session.scalar(select(func.count(Registration.id))) == 2
    assert seats_taken(event) == 1


def test_same_address_after_cancelling_is_a_fresh_sign_up(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    registration = confirmed(event, "ada@example.org", links)
    service.cancel(db.session, registration, now=at(5), links=links)
    db.session.commit()
    outcome = service.sign_up(db.session, event, details("ada@example.org"), now=at(6), links=links)
    db.session.commit()
    assert outcome == SignupOutcome.RESTARTED
    assert registration.status == PENDING
    assert (registration.confirmed_at, registration.cancelled_at) == (None, None)
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert len(outbox("confirm")) == 2
    service.confirm(db.session, registration, now=at(7), links=links)
    assert registration.status == CONFIRMED


def test_unique_event_and_address_is_enforced_by_the_database(app: Any) -> None:
    event = make_event()
    for _ in range(2):
        db.session.add(Registration(event_id=event.id, email="dup@example.org", name="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_links_resolve_to_their_registration_and_reject_anything_else(app: Any, links: Links) -> None:
    event = make_event()
    registration = signed_up(event, "ada@example.org", links)
    secret = app.config["SECRET_KEY"]
    token = make_token(secret, Purpose.CONFIRM, registration)

    def resolve(purpose: Purpose, value: str, key: str = secret) -> Registration:
        return service.registration_for_link(db.session, purpose, value, {**app.config, "SECRET_KEY": key})

    def signed(registration_id: int, print_: str) -> str:
        return URLSafeTimedSerializer(secret, salt="hub.registration.confirm").dumps(
            [registration_id, print_]
        )

    assert resolve(Purpose.CONFIRM, token).id == registration.id
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for purpose, value, key in [
        (Purpose.CONFIRM, tampered, secret),
        (Purpose.CONFIRM, "not-a-token", secret),
        (Purpose.CONFIRM, "", secret),
        (Purpose.CANCEL, token, secret),  # a confirm token does not cancel
        (Purpose.CONFIRM, token, "another-secret"),
        (Purpose.CONFIRM, signed(999_999, "x"), secret),  # no such sign-up
        (Purpose.CONFIRM, signed(2**70, "x"), secret),  # an id too large for the database
        # The right id, but another sign-up's fingerprint (an id reused after a deletion).
        (Purpose.CONFIRM, signed(registration.id, "0123456789ab"), secret),
    ]:
        with pytest.raises(service.InvalidLink) as caught:
            resolve(purpose, value, key)
        assert not isinstance(caught.value, service.ExpiredLink)


def test_an_old_link_has_expired(app: Any, links: Links) -> None:
    event = make_event()
    registration = signed_up(event, "ada@example.org", links)
    max_age = app.config["CONFIRM_TOKEN_MAX_AGE"]

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 24 * 3600

    signer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="hub.registration.confirm", signer=EightDaysAgo
    )
    old = signer.dumps([registration.id, fingerprint(registration)])
    assert max_age < 8 * 24 * 3600
    with pytest.raises(service.ExpiredLink):
        service.registration_for_link(db.session, Purpose.CONFIRM, old, app.config)
    # The same token is fine for a longer-lived purpose's age limit: it is the age that fails.
    longer = {**app.config, "CONFIRM_TOKEN_MAX_AGE": 9 * 24 * 3600}
    fresh = service.registration_for_link(db.session, Purpose.CONFIRM, old, longer)
    assert fresh.id == registration.id


def test_a_mail_is_queued_once_per_state_change(app: Any, links: Links) -> None:
    event = make_event(capacity=1)
    registration = confirmed(event, "ada@example.org", links)
    keys = [m.dedupe_key for m in outbox()]
    assert len(set(keys)) == len(keys) == 2
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    assert registration.status == CONFIRMED
