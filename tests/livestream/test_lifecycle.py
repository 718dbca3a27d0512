"""'We are live' and 'recording ready': who gets them, once each, in their language, also when
two workers sync at the same moment; and the organiser's figures from the same syncs."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from hub.extensions import db as _db
from hub.livestream.sync import SyncReport, sync_from_config
from hub.mail.delivery import deliver_pending
from hub.models import Account, Event, Organiser, OutboxMessage
from tests.conftest import make_config, on_postgres
from tests.livestream.conftest import AFTER, BEFORE, LIVE_AT, SLUG, attendee, sync
from tests.livestream.fake_youtube import API_KEY, FakeYouTube
from tests.organiser.conftest import login

LATER = datetime(2023, 8, 16, 12, 10, tzinfo=UTC)


@pytest.fixture
def app_config(tmp_path: Path, youtube: FakeYouTube, smtp_server: Any) -> dict[str, Any]:
    """The fake YouTube API, and a real SMTP server on loopback."""
    return make_config(
        tmp_path,
        YOUTUBE_API_KEY=API_KEY,
        YOUTUBE_API_ENDPOINT=youtube.endpoint,
        YOUTUBE_CHANNEL="@OsloCancerCluster",
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_DEFAULT_SENDER="Arendalsuka hub <noreply@hub.test>",
    )


def two_workers_sync(app: Flask, youtube: FakeYouTube, now: datetime) -> list[Any]:
    """Two workers' syncs at once: both have asked YouTube before either writes anything."""
    _db.session.commit()
    youtube.videos_gate = threading.Barrier(2)
    results: list[Any] = [None, None]

    def worker(i: int) -> None:
        try:
            with app.app_context():
                results[i] = sync_from_config(_db.session, app.config, now)
                _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # reported by the test
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    youtube.videos_gate = None
    for result in results:
        # SQLite lets one writer through; the other's round fails and the next one catches up.
        assert isinstance(result, SyncReport) or (
            not on_postgres() and isinstance(result, OperationalError)
        ), result
    assert any(isinstance(r, SyncReport) for r in results)
    return results


def mails(kind: str) -> Counter[str]:
    _db.session.expire_all()
    return Counter(_db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == kind)))


@pytest.fixture
def audience(programme: Any) -> None:
    attendee(SLUG, "remote-en@example.org", locale="en")
    attendee(SLUG, "remote-nb@example.org", locale="nb")
    attendee(SLUG, "room-wants@example.org", "in_person", wants_recording=True)
    attendee(SLUG, "room@example.org", "in_person")
    attendee(SLUG, "waiting-wants@example.org", "in_person", wants_recording=True, status="waitlisted")
    attendee(SLUG, "cancelled@example.org", status="cancelled")
    attendee("fremtidens-kreftbehandling", "other-event@example.org")


def test_live_and_recording_mails_go_once_each_with_two_workers_syncing(
    app: Flask, youtube: FakeYouTube, audience: None, smtp_server: Any
) -> None:
    sync(app, BEFORE)
    assert mails("live") == Counter()
    assert mails("recording") == Counter()

    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    two_workers_sync(app, youtube, LIVE_AT)
    assert mails("live") == Counter({"remote-en@example.org": 1, "remote-nb@example.org": 1})
    sync(app, LATER)  # still live: nothing again
    assert sum(mails("live").values()) == 2
    assert deliver_pending(LATER).sent == 2

    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    two_workers_sync(app, youtube, AFTER)
    assert mails("recording") == Counter(
        {
            "remote-en@example.org": 1,
            "remote-nb@example.org": 1,
            "room-wants@example.org": 1,
            "waiting-wants@example.org": 1,
        }
    )
    sync(app, AFTER)
    assert sum(mails("recording").values()) == 4
    assert sum(mails("live").values()) == 2

    # Delivered: each person got each mail once, in their language, with their watch link.
    assert deliver_pending(AFTER).sent == 4
    received = Counter(
        (r.rcpt_tos[0], " ".join(str(r.message["Subject"]).split())) for r in smtp_server.received
    )
    assert set(received.values()) == {1}
    english = {s for (to, s) in received if to == "remote-en@example.org"}
    norwegian = {s for (to, s) in received if to == "remote-nb@example.org"}
    title = "The Future of Digital Health in Norway: Leading the Way"
    assert english == {f"We are live: {title}", f"The recording is ready: {title}"}
    assert norwegian == {f"Vi sender direkte nå: {title}", f"Opptaket er klart: {title}"}


def _text(smtp_server: Any, to: str, subject_start: str) -> str:
    (message,) = [r.message for r in smtp_server.to(to) if r.message["Subject"].startswith(subject_start)]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_the_mails_carry_the_watch_link_and_the_agenda_moments(
    app: Flask, youtube: FakeYouTube, audience: None, smtp_server: Any
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    sync(app, LIVE_AT)
    deliver_pending(LIVE_AT)
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    sync(app, AFTER)
    deliver_pending(AFTER)
    live = _text(smtp_server, "remote-en@example.org", "We are live")
    assert "Watch it here: http://hub.test/watch/" in live
    assert "youtube.com" not in live
    recording = _text(smtp_server, "remote-en@example.org", "The recording is ready")
    assert "Watch the recording: http://hub.test/watch/" in recording
    # The agenda's times link into the recording (started 11:31:12 UTC = 13:31:12 in Oslo).
    assert "13:30 " in recording  # the first item started before the stream: at 0 s
    assert "https://www.youtube.com/watch?v=DigiHealth3&t=0s" in recording
    assert "https://www.youtube.com/watch?v=DigiHealth3&t=" in recording
    in_person = _text(smtp_server, "room-wants@example.org", "The recording is ready")
    assert "http://hub.test/watch/" in in_person


def test_a_live_mail_not_sent_before_the_broadcast_ends_is_never_sent(
    app: Flask, youtube: FakeYouTube, audience: None, smtp_server: Any
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    sync(app, LIVE_AT)  # queued; the mail server is unreachable until after the broadcast
    assert sum(mails("live").values()) == 2
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    sync(app, AFTER)
    report = deliver_pending(AFTER)
    assert (report.sent, report.expired) == (4, 2)
    assert [r for r in smtp_server.received if "live" in str(r.message["Subject"])] == []
    _db.session.expire_all()
    ends = datetime(2023, 8, 16, 12, 34, 5, tzinfo=UTC)
    assert set(_db.session.scalars(select(OutboxMessage.expires_at).where(OutboxMessage.kind == "live"))) == {
        ends
    }


def test_no_live_mail_for_a_broadcast_never_seen_live_and_recording_waits_for_processing(
    app: Flask, youtube: FakeYouTube, audience: None
) -> None:
    sync(app, BEFORE)
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z", processed=False)
    sync(app, AFTER)  # started and ended between two syncs
    assert mails("live") == Counter()
    assert mails("recording") == Counter()  # YouTube is still processing it
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    report = sync(app, AFTER)
    assert sum(mails("recording").values()) == 4
    assert "Mails queued: 0 'we are live', 4 'recording ready'." in report.lines()


def test_a_first_sync_long_after_the_festival_mails_nobody(
    app: Flask, youtube: FakeYouTube, audience: None
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z")
    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    sync(app, datetime(2023, 9, 30, tzinfo=UTC))
    assert mails("recording") == Counter()


def test_organiser_sees_peak_viewers_and_recording_views(
    app: Flask,
    client: FlaskClient,
    youtube: FakeYouTube,
    programme: Any,
    password_hash: str,
) -> None:
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=137)
    sync(app, LIVE_AT)
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=212)
    sync(app, LATER)
    youtube.set_live("DigiHealth3", "2023-08-16T11:31:12Z", viewers=150)
    sync(app, LATER)
    account = Account(email="occ@example.org", is_admin=False, password_hash=password_hash)
    account.organisers = list(
        _db.session.scalars(select(Organiser).where(Organiser.name == "Oslo Cancer Cluster"))
    )
    _db.session.add(account)
    _db.session.commit()
    assert login(client, "occ@example.org").status_code == 302
    page = client.get(f"/organiser/events/{SLUG}?lang=en").get_data(as_text=True)
    assert '<dd id="peak-viewers">212</dd>' in page
    assert '<dd id="recording-views">–</dd>' in page  # no recording yet

    youtube.set_ended("DigiHealth3", "2023-08-16T12:34:05Z")
    youtube.set_views("DigiHealth3", 1480)
    sync(app, AFTER)
    page = client.get(f"/organiser/events/{SLUG}?lang=en").get_data(as_text=True)
    assert '<dd id="peak-viewers">212</dd>' in page
    assert '<dd id="recording-views">1 480</dd>' in page


def test_views_of_older_recordings_ride_along_at_no_extra_cost(
    app: Flask, youtube: FakeYouTube, programme: Any
) -> None:
    for video_id in ("MedInnIRA02", "DigiHealth3", "PersonMed04"):
        youtube.set_live(video_id, "2023-08-15T06:00:00Z")
        youtube.set_ended(video_id, "2023-08-15T07:00:00Z")
    sync(app, AFTER)
    # 49 newer uploads push all but one of the festival's videos out of the page the sync
    # reads; FremtidKr01 is still upcoming, so it is tracked by id: 51 ids, two videos.list
    # calls, and 49 free places in the second.
    youtube.add_plain_uploads(49)
    sync(app, AFTER)
    youtube.set_views("DigiHealth3", 999)
    before = Counter(youtube.requests)
    report = sync(app, AFTER)
    spent = Counter(youtube.requests)
    spent.subtract(before)
    assert +spent == Counter({"playlistItems": 1, "videos": 2})  # what 51 ids cost anyway
    assert report.figures_refreshed == 2  # MedInnIRA02 and DigiHealth3 rode along
    event = _db.session.scalar(select(Event).where(Event.slug == SLUG))
    assert event is not None
    assert event.livestream is not None
    assert event.livestream.view_count == 999
