"""The mail commands: deliver-mail, worker --once, and the worker loop as an operator runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.mail.outbox import queue_message
from hub.models import OutboxMessage
from tests.conftest import ROOT
from tests.smtp import SMTPServer


def _queue(address: str, key: str) -> None:
    queue_message(db.session, "test", address, "Hello", "Hello", None, [], key)
    db.session.commit()


def test_deliver_mail_prints_sent_failed_and_waiting(runner: FlaskCliRunner, smtp_server: SMTPServer) -> None:
    _queue("ada@example.org", "a")
    _queue("bob@example.org", "b")
    smtp_server.refuse = {"bob@example.org": "451 4.3.0 Later"}
    result = runner.invoke(args=["hub", "deliver-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 1, failed 1, waiting 1"
    result = runner.invoke(args=["hub", "deliver-mail", "--limit", "0"])
    assert result.exit_code == 2  # a usage error, not a traceback
    assert "Traceback" not in result.output


def test_worker_once_runs_each_step_and_reports(runner: FlaskCliRunner, smtp_server: SMTPServer) -> None:
    _queue("ada@example.org", "a")
    result = runner.invoke(args=["hub", "worker", "--once"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[:2] == ["send-reminders: queued 0 reminders", "deliver-mail: sent 1, failed 0, waiting 0"]
    assert lines[2].startswith("sync-youtube: skipped: ")  # no YouTube API key in tests
    assert [r.rcpt_tos for r in smtp_server.received] == [["ada@example.org"]]


def test_worker_once_fails_plainly_when_a_step_fails(runner: FlaskCliRunner, app: Flask) -> None:
    app.config["REMINDER_OFFSETS"] = "never"
    result = runner.invoke(args=["hub", "worker", "--once"])
    assert result.exit_code == 1
    assert "send-reminders: failed: REMINDER_OFFSETS is not valid: not a duration: 'never'" in result.output
    assert result.output.strip().endswith("Error: worker: send-reminders failed (see above)")
    assert "Traceback" not in result.output


def test_the_worker_loop_sends_mail_and_stops_cleanly_on_sigterm(app: Flask, tmp_path: Path) -> None:
    """`flask hub worker` as a separate process on the same database, stopped like systemd does."""
    _queue("ada@example.org", "a")
    sink = tmp_path / "worker-mail"
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "HUB_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "HUB_SECRET_KEY": "test-secret",
        "HUB_MAIL_SINK_DIR": str(sink),
        "HUB_MAIL_SERVER": "null",
        "HUB_WORKER_INTERVAL": "0.2",
        "HUB_BASE_URL": "http://hub.test",
    }
    db.session.commit()
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "hub", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(sink.glob("*.eml")):
            time.sleep(0.1)
        time.sleep(0.5)  # a few more rounds
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert len(list(sink.glob("*-test.eml"))) == 1
    rounds = [line for line in output.splitlines() if "worker: deliver-mail: " in line]
    assert rounds[0].endswith("INFO hub.worker: worker: deliver-mail: sent 1, failed 0, waiting 0")
    assert len(rounds) >= 2
    assert all(line.endswith("sent 0, failed 0, waiting 0") for line in rounds[1:])
    assert "stopping after this round" in output
    assert "Traceback" not in output
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage))
    assert row is not None
    assert row.sent_at is not None


def test_mail_without_a_server_goes_to_files_and_the_log(
    app: Any, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    app.config["MAIL_SERVER"] = None
    queue_message(
        db.session,
        "link",  # not a sign-up's mail (those need their sign-up, or they are dropped)
        "ada@example.org",
        "Confirm",
        "Hello",
        "<p>Hello</p>",
        [],
        "k",
        action_url="http://hub.test/registrations/confirm/abc",
    )
    db.session.commit()
    result = runner.invoke(args=["hub", "deliver-mail"])
    assert result.output.strip() == "sent 1, failed 0, waiting 0"
    (path,) = Path(app.config["MAIL_SINK_DIR"]).glob("*.eml")
    assert path.read_bytes().startswith(b"Content-Type: multipart/mixed")
    assert b"To: ada@example.org" in path.read_bytes()


def test_worker_once_runs_the_youtube_sync_and_reports_its_failure(
    runner: FlaskCliRunner, app: Flask
) -> None:
    """With an API key the worker runs `sync-youtube`; an unreachable API is one line, exit 1."""
    app.config.update(YOUTUBE_API_KEY="test-key", YOUTUBE_API_ENDPOINT="http://127.0.0.1:9/")
    result = runner.invoke(args=["hub", "worker", "--once"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[1].startswith("deliver-mail: sent 0")
    assert lines[2].startswith("sync-youtube: failed: ")
    assert lines[-1] == "Error: worker: sync-youtube failed (see above)"
    assert "Traceback" not in result.output
