"""The background worker: reminders, mail delivery and the YouTube sync on their schedules.

``flask hub worker`` runs :func:`run` in a loop (``--once``: one round, for cron or a
test). Each step commits its own work; a failing step is logged and the others go on. Any
number of workers may run: outbox rows are claimed in small batches under a lease that
names its run, and reminders are deduplicated.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from flask import current_app

from hub.extensions import db
from hub.livestream.client import YouTubeError
from hub.livestream.sync import SyncReport, sync_from_config
from hub.mail.compose import Links
from hub.mail.delivery import deliver_pending
from hub.mail.reminders import parse_offsets, queue_due_reminders
from hub.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass
class RoundReport:
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_reminders() -> str:
    offsets = parse_offsets(str(current_app.config["REMINDER_OFFSETS"]))
    queued = queue_due_reminders(db.session, utcnow(), offsets, Links.from_app())
    db.session.commit()
    return f"queued {queued} reminder{'s' if queued != 1 else ''}"


def deliver_mail() -> str:
    return deliver_pending().summary()


def run_youtube_sync() -> SyncReport:
    """One YouTube sync, committed; a failure is a one-line ClickException (units are kept)."""
    try:
        report = sync_from_config(db.session, current_app.config, utcnow())
    except YouTubeError as exc:
        db.session.commit()  # keep the units spent before the failure; links are untouched
        raise click.ClickException(f"YouTube sync failed: {exc}") from None
    db.session.commit()
    return report


def sync_youtube() -> str:
    """The worker's YouTube step, as ``flask hub sync-youtube`` runs it; skipped without a key."""
    if not current_app.config.get("YOUTUBE_API_KEY"):
        return "skipped: YOUTUBE_API_KEY is not set"
    report = run_youtube_sync()
    for line in report.lines():
        log.info("worker: sync-youtube: %s", line)
    return f"done, {report.units_spent} quota units"


def _step(name: str, action: Callable[[], str], report: RoundReport) -> None:
    try:
        outcome = action()
    except (click.ClickException, click.exceptions.Exit) as exc:
        db.session.rollback()
        message = exc.format_message() if isinstance(exc, click.ClickException) else "exited"
        log.warning("worker: %s failed: %s", name, message)
        report.failed.append(name)
        report.lines.append(f"{name}: failed: {message}")
    except Exception as exc:
        db.session.rollback()
        log.exception("worker: %s failed", name)
        report.failed.append(name)
        report.lines.append(f"{name}: failed: {exc.__class__.__name__}: {exc}")
    else:
        report.lines.append(f"{name}: {outcome}")
    finally:
        db.session.remove()


def run_round(with_youtube: bool) -> RoundReport:
    report = RoundReport()
    _step("send-reminders", send_reminders, report)
    _step("deliver-mail", deliver_mail, report)
    if with_youtube:
        _step("sync-youtube", sync_youtube, report)
    return report


def run() -> None:
    """Loop until SIGTERM or SIGINT: a round every WORKER_INTERVAL seconds (the YouTube sync
    every YOUTUBE_SYNC_INTERVAL seconds), each round's outcome in the log."""
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("worker: signal %d, stopping after this round", signum)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(signum, _stop)
    interval = float(current_app.config["WORKER_INTERVAL"])
    youtube_interval = float(current_app.config["YOUTUBE_SYNC_INTERVAL"])
    next_sync = time.monotonic()
    while not stop.is_set():
        started = time.monotonic()
        with_youtube = started >= next_sync
        if with_youtube:
            next_sync = started + youtube_interval
        for line in run_round(with_youtube).lines:
            log.info("worker: %s", line)
        stop.wait(max(interval - (time.monotonic() - started), 0.0))
