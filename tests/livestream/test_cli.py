"""`flask hub sync-youtube` and `flask hub pin-livestream`: what an operator reads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db as _db
from hub.models import Event, QuotaUsage
from hub.timeutil import utcnow
from tests.livestream.fake_youtube import API_KEY, FakeYouTube

ROOT = Path(__file__).resolve().parents[2]
WRONG_KEY = "AIzaSyWRONG-key-0123456789-must-not-leak"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sync_prints_found_linked_unlinked_and_units(
    runner: FlaskCliRunner, programme: Any, youtube: FakeYouTube
) -> None:
    result = runner.invoke(args=["hub", "sync-youtube"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Channel: Oslo Cancer Cluster (UCOsloCancerClusterFake0)" in out
    assert "Found 6 broadcasts among the 7 newest uploads (other videos ignored: 1)." in out
    assert "Linked: persontilpasset-medisin-og-ressurskrisen -> PersonMed04 [upcoming]" in out
    assert "title 77% similar" in out
    assert "Left unlinked: AarsmoteOCC" in out
    assert "no event near its start has a similar title" in out
    assert "Quota: 3 units this sync; 3 of 2000 spent today (Pacific time)." in out
    again = runner.invoke(args=["hub", "sync-youtube"])
    assert "from cache" in again.output
    assert "Kept: fremtidens-kreftbehandling -> FremtidKr01" in again.output
    assert "Quota: 2 units this sync; 5 of 2000 spent today" in again.output


def _error_case(case: str, app: Flask, youtube: FakeYouTube) -> None:
    if case == "missing key":
        app.config["YOUTUBE_API_KEY"] = None
    elif case == "invalid key (current body)":
        app.config["YOUTUBE_API_KEY"] = WRONG_KEY
    elif case == "invalid key (legacy body)":
        app.config["YOUTUBE_API_KEY"] = WRONG_KEY
        youtube.bad_key_body = "error_keyInvalid_400_legacy.json"
    elif case == "quota exceeded":
        youtube.fail("*", 403, "error_quotaExceeded_403.json")
    elif case == "channel not found":
        app.config["YOUTUBE_CHANNEL"] = "@NoSuchChannel"
    elif case == "network failure":
        app.config["YOUTUBE_API_ENDPOINT"] = f"http://127.0.0.1:{closed_port()}"
    elif case == "budget reached":
        app.config["YOUTUBE_DAILY_BUDGET"] = 2


ERRORS = {
    "missing key": "no YouTube API key: set HUB_YOUTUBE_API_KEY",
    "invalid key (current body)": "YouTube refused the API key as not valid",
    "invalid key (legacy body)": "YouTube refused the API key as not valid",
    "quota exceeded": "YouTube's daily quota for this API key is used up (quotaExceeded)",
    "channel not found": "no YouTube channel '@NoSuchChannel'",
    "network failure": "cannot reach the YouTube API at 127.0.0.1:",
    "budget reached": "daily YouTube budget reached: 0 of 2 units spent today",
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_each_error_is_one_line_and_a_failing_exit(
    case: str, app: Flask, runner: FlaskCliRunner, programme: Any, youtube: FakeYouTube
) -> None:
    _error_case(case, app, youtube)
    result = runner.invoke(args=["hub", "sync-youtube"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: YouTube sync failed: ")
    assert ERRORS[case] in lines[0]
    assert "Traceback" not in result.output
    assert API_KEY not in result.output
    assert WRONG_KEY not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_units_of_a_failed_sync_are_recorded(
    runner: FlaskCliRunner, programme: Any, youtube: FakeYouTube
) -> None:
    youtube.fail("playlistItems", 403, "error_quotaExceeded_403.json")
    assert runner.invoke(args=["hub", "sync-youtube"]).exit_code == 1
    usage = _db.session.scalar(select(QuotaUsage))
    assert usage is not None
    assert usage.units == 2


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung API)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "case",
    [
        "invalid key (current body)",
        "invalid key (legacy body)",
        "quota exceeded",
        "network failure",
        "timeout",
    ],
)
def test_real_process_prints_one_line_no_traceback_and_no_key(
    case: str, app: Flask, programme: Any, youtube: FakeYouTube, tmp_path: Path, silent_port: int
) -> None:
    """A real `flask hub sync-youtube` process, with the app's own logging set up: on each API
    error one line, and googleapiclient's own warning (it logs one on every 403) not shown."""
    if case == "timeout":
        app.config["YOUTUBE_API_ENDPOINT"] = f"http://127.0.0.1:{silent_port}"
    else:
        _error_case(case, app, youtube)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        FLASK_APP="wsgi",
        HUB_SECRET_KEY="subprocess-secret",
        HUB_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        HUB_YOUTUBE_API_KEY=app.config["YOUTUBE_API_KEY"],
        HUB_YOUTUBE_API_ENDPOINT=app.config["YOUTUBE_API_ENDPOINT"],
        HUB_YOUTUBE_API_TIMEOUT="0.5",
        HUB_YOUTUBE_CHANNEL="@OsloCancerCluster",
        HUB_MAIL_SINK_DIR=str(tmp_path / "mail"),
    )
    _db.session.remove()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "hub", "sync-youtube"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: YouTube sync failed: ")
    assert "Traceback" not in done.stderr
    assert WRONG_KEY not in done.stderr
    assert API_KEY not in done.stderr
    assert "googleapiclient" not in done.stderr
    expected = "no answer within 0.5 s" if case == "timeout" else ERRORS[case]
    assert expected in lines[0]


def test_pin_and_unpin_from_the_command_line(
    runner: FlaskCliRunner, programme: Any, youtube: FakeYouTube
) -> None:
    slug = "fremtidens-kreftbehandling"
    result = runner.invoke(args=["hub", "pin-livestream", slug, "https://youtu.be/AarsmoteOCC?si=abc"])
    assert result.exit_code == 0, result.output
    assert "pinned AarsmoteOCC to fremtidens-kreftbehandling" in result.output
    synced = runner.invoke(args=["hub", "sync-youtube"])
    assert "Pinned: fremtidens-kreftbehandling -> AarsmoteOCC [upcoming]" in synced.output
    assert "Left unlinked: FremtidKr01" in synced.output
    result = runner.invoke(args=["hub", "pin-livestream", slug, "--unpin"])
    assert result.exit_code == 0
    assert "unpinned" in result.output
    _db.session.expire_all()
    event = _db.session.scalar(select(Event).where(Event.slug == slug))
    assert event is not None
    assert event.livestream is not None
    assert event.livestream.video_id is None
    assert not event.livestream.pinned


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["fremtidens-kreftbehandling", "https://www.youtube.com/@OsloCancerCluster"],
            "is a channel, not a video",
        ),
        (["fremtidens-kreftbehandling", "https://vimeo.com/1234"], "is not a YouTube video link or id"),
        (["fremtidens-kreftbehandling"], "give the YouTube URL or video id to pin"),
        (["no-such-event", "FremtidKr01"], "no event with the slug 'no-such-event'"),
        (["fremtidens-kreftbehandling", "FremtidKr01", "--unpin"], "not both"),
    ],
)
def test_pin_errors_are_one_line(
    runner: FlaskCliRunner, programme: Any, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["hub", "pin-livestream", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert message in lines[0]


def test_worker_round_runs_the_sync_and_links_the_events(
    runner: FlaskCliRunner, programme: Any, youtube: FakeYouTube
) -> None:
    result = runner.invoke(args=["hub", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sync-youtube: done, 3 quota units" in result.output
    linked = {e.slug: e.livestream.video_id for e in _db.session.scalars(select(Event)) if e.livestream}
    assert len(linked) == 4
    assert linked["persontilpasset-medisin-og-ressurskrisen"] == "PersonMed04"


def test_the_worker_loop_syncs_when_the_cadence_says_so(
    app: Flask, programme: Any, youtube: FakeYouTube
) -> None:
    from hub.jobs import SCHEDULE, youtube_sync_due
    from hub.worker import run_round

    (job,) = [job for job in SCHEDULE if job.name == "sync-youtube"]
    assert job.due is youtube_sync_due  # the worker asks the cadence every round
    assert youtube_sync_due()  # never synced
    assert "sync-youtube: done" in "\n".join(run_round([job]).lines)
    assert not youtube_sync_due()  # the 2023 programme is long over: next in an hour
    assert youtube_sync_due(utcnow() + timedelta(hours=1))
    app.config["YOUTUBE_API_KEY"] = None
    assert not youtube_sync_due()


def test_worker_round_reports_a_failed_sync_and_goes_on(
    app: Flask, runner: FlaskCliRunner, programme: Any, youtube: FakeYouTube
) -> None:
    app.config["YOUTUBE_API_KEY"] = WRONG_KEY
    result = runner.invoke(args=["hub", "worker", "--once"])
    assert result.exit_code == 1
    assert "deliver-mail: sent 0" in result.output
    assert "sync-youtube: failed: YouTube sync failed:" in result.output
    assert WRONG_KEY not in result.output
