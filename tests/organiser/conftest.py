"""Organiser-area fixtures: accounts, logged-in clients and registration rows made directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db as _db
from hub.models import Account, Attendance, Event, Organiser, Registration, RegistrationStatus
from hub.organiser.accounts import hash_password
from tests.conftest import PASSWORD

# 15 August 2023, 09:00 in Arendal: the morning of the first event day.
T0 = datetime(2023, 8, 15, 7, 0, tzinfo=UTC)

# The shipped programme: which events each organiser's account sees.
OCC_EVENTS = {
    "fremtidens-kreftbehandling",
    "medisinsk-innovasjon-etter-inflation-reduction-act",
    "future-of-digital-health-in-norway",
}
CONNECT_EVENT = "persontilpasset-medisin-og-ressurskrisen"


@pytest.fixture
def make_account(app: Any, password_hash: str) -> Callable[..., Account]:
    def make(email: str, *organisers: str, admin: bool = False, password: str = PASSWORD) -> Account:
        hashed = password_hash if password == PASSWORD else hash_password(password)
        account = Account(email=email, is_admin=admin, password_hash=hashed)
        account.organisers = list(
            _db.session.scalars(select(Organiser).where(Organiser.name.in_(organisers))).all()
        )
        assert len(account.organisers) == len(organisers)
        _db.session.add(account)
        _db.session.commit()
        return account

    return make


@pytest.fixture
def make_registration(app: Any) -> Callable[..., Registration]:
    """Insert a registration row as the registration service would leave it."""
    counter = iter(range(1, 10_000))

    def make(
        event: str | Event,
        name: str,
        *,
        email: str | None = None,
        status: RegistrationStatus | str = RegistrationStatus.CONFIRMED,
        attendance: Attendance | str = Attendance.IN_PERSON,
        organisation: str | None = None,
        created_at: datetime | None = None,
        checked_in_at: datetime | None = None,
        waitlisted_at: datetime | None = None,
    ) -> Registration:
        n = next(counter)
        if isinstance(event, str):
            found = _db.session.scalar(select(Event).where(Event.slug == event))
            assert found is not None, event
            event = found
        status = RegistrationStatus(status)
        created = created_at or T0 + timedelta(minutes=n)
        registration = Registration(
            event=event,
            name=name,
            email=email or f"person{n}@example.org",
            organisation=organisation,
            attendance=Attendance(attendance),
            status=status,
            created_at=created,
            confirmed_at=created + timedelta(minutes=2) if status != RegistrationStatus.PENDING else None,
            waitlisted_at=waitlisted_at
            or (created + timedelta(minutes=2) if status == RegistrationStatus.WAITLISTED else None),
            cancelled_at=created + timedelta(hours=1) if status == RegistrationStatus.CANCELLED else None,
            checked_in_at=checked_in_at,
        )
        _db.session.add(registration)
        _db.session.commit()
        return registration

    return make


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post("/organiser/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def occ(make_account: Callable[..., Account], programme: Any) -> Account:
    """An account of Oslo Cancer Cluster (three of the four shipped events)."""
    return make_account("occ@example.org", "Oslo Cancer Cluster")


@pytest.fixture
def occ_client(client: FlaskClient, occ: Account) -> FlaskClient:
    """Logged in, with the interface in English (flashed messages take the locale they are made in)."""
    client.get("/?lang=en")
    response = login(client, occ.email)
    assert response.status_code == 302
    return client
