"""A fake YouTube Data API per test, and an app configured to use it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.extensions import db as _db
from hub.livestream.sync import SyncReport, sync_from_config
from hub.models import Attendance, Event, Registration, RegistrationStatus
from tests.conftest import make_config
from tests.livestream.fake_youtube import API_KEY, FakeYouTube

# Before the festival: every broadcast of the fixtures is still upcoming.
BEFORE = datetime(2023, 8, 14, 12, 0, tzinfo=UTC)
# "The Future of Digital Health in Norway": live at LIVE_AT (DigiHealth3), over by AFTER.
SLUG = "future-of-digital-health-in-norway"
LIVE_AT = datetime(2023, 8, 16, 11, 40, tzinfo=UTC)
AFTER = datetime(2023, 8, 16, 13, 0, tzinfo=UTC)


def sync(app: Flask, now: datetime) -> SyncReport:
    """One sync, as the worker runs it (the mails it causes included), committed."""
    report = sync_from_config(_db.session, app.config, now)
    _db.session.commit()
    return report


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube().start()
    yield fake
    fake.stop()


@pytest.fixture
def app_config(tmp_path: Path, youtube: FakeYouTube) -> dict[str, Any]:
    return make_config(
        tmp_path,
        YOUTUBE_API_KEY=API_KEY,
        YOUTUBE_API_ENDPOINT=youtube.endpoint,
        YOUTUBE_CHANNEL="@OsloCancerCluster",
    )


def attendee(
    slug: str,
    email: str,
    attendance: str = "online",
    *,
    locale: str = "en",
    wants_recording: bool = False,
    status: str = "confirmed",
) -> Registration:
    """A sign-up for a shipped event, as it stands after confirming (committed)."""
    event = _db.session.scalar(select(Event).where(Event.slug == slug))
    assert event is not None
    registration = Registration(
        event=event,
        email=email,
        name=email.split("@")[0].capitalize(),
        attendance=Attendance(attendance),
        locale=locale,
        wants_recording=wants_recording,
        status=RegistrationStatus(status),
        created_at=BEFORE,
        confirmed_at=BEFORE,
    )
    _db.session.add(registration)
    _db.session.commit()
    return registration
