"""The jobs that both the command line and the worker run: plain functions that return reports.

Each job commits its own work and returns a report with ``summary()`` (one line) and
``lines()`` (what an operator reads). A job that cannot do its work raises :class:`JobFailed`
with a one-line reason: the CLI turns it into an error message and exit 1, the worker logs
it and goes on with the next job. Nothing here knows about click.

:data:`SCHEDULE` is what the worker runs and how often; add a job there to have the worker run it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import current_app

from hub.extensions import db
from hub.livestream.cadence import sync_due
from hub.livestream.client import YouTubeError
from hub.livestream.sync import SyncReport, sync_from_config
from hub.mail.compose import Links
from hub.mail.delivery import DeliveryReport, deliver_pending
from hub.mail.reminders import parse_offsets, queue_due_reminders
from hub.registration import retention
from hub.registration.retention import PurgeReport
from hub.timeutil import utcnow


class JobFailed(Exception):
    """A job could not do its work; the message is one line for the operator."""


class Report(Protocol):
    def summary(self) -> str: ...

    def lines(self) -> list[str]: ...


@dataclass
class ReminderReport:
    queued: int

    def summary(self) -> str:
        return f"queued {self.queued} reminder{'s' if self.queued != 1 else ''}"

    def lines(self) -> list[str]:
        return [self.summary()]


@dataclass
class MailReport:
    delivery: DeliveryReport

    def summary(self) -> str:
        return self.delivery.summary()

    def lines(self) -> list[str]:
        return [self.summary()]


@dataclass
class YouTubeReport:
    sync: SyncReport

    def summary(self) -> str:
        return f"done, {self.sync.units_spent} quota units"

    def lines(self) -> list[str]:
        return self.sync.lines()


def send_reminders(now: datetime | None = None) -> ReminderReport:
    """Queue the reminders that are due (REMINDER_OFFSETS before each event), each once."""
    try:
        offsets = parse_offsets(str(current_app.config["REMINDER_OFFSETS"]))
    except ValueError as exc:
        raise JobFailed(f"REMINDER_OFFSETS is not valid: {exc}") from None
    queued = queue_due_reminders(db.session, now or utcnow(), offsets, Links.from_app())
    db.session.commit()
    return ReminderReport(queued)


def deliver_mail(now: datetime | None = None, *, limit: int = 500, retry_now: bool = False) -> MailReport:
    """Send what the outbox holds, with retry and backoff; expired mail is marked, not sent."""
    return MailReport(deliver_pending(now, limit, ignore_backoff=retry_now))


def youtube_skip_reason(config: Mapping[str, Any]) -> str | None:
    """Why the worker skips the YouTube sync (no API key), or None."""
    return None if config.get("YOUTUBE_API_KEY") else "YOUTUBE_API_KEY is not set"


def sync_youtube(now: datetime | None = None) -> YouTubeReport:
    """One YouTube sync, committed; quota units spent before a failure are kept."""
    try:
        report = sync_from_config(db.session, current_app.config, now or utcnow())
    except YouTubeError as exc:
        db.session.commit()  # keep the units spent before the failure; links are untouched
        raise JobFailed(f"YouTube sync failed: {exc}") from None
    db.session.commit()
    return YouTubeReport(report)


def purge(now: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
    """Erase personal data past retention (see hub.registration.retention), keeping the counts;
    a dry run reports what would go and rolls back."""
    days = int(current_app.config["RETENTION_DAYS"])
    report = retention.purge(db.session, now or utcnow(), retention_days=days, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def youtube_sync_due(now: datetime | None = None) -> bool:
    """Whether the sync cadence (hub/livestream/cadence.py) says a sync is due: every few
    minutes around broadcasts, hourly otherwise, inside the day's budget. Not without a key."""
    if youtube_skip_reason(current_app.config):
        return False
    try:
        return sync_due(db.session, now or utcnow(), current_app.config)
    except YouTubeError:
        return True  # a configuration error: the sync reports it in one line
    finally:
        db.session.remove()


@dataclass(frozen=True)
class Job:
    """A job on the worker's schedule."""

    name: str
    run: Callable[[], Report]
    # The config key holding seconds between runs; None: every round (WORKER_INTERVAL).
    every: str | None = None
    # Asked every round (once ``every`` has passed): whether the job is due now; None: it is.
    due: Callable[[], bool] | None = None
    # Why the job is skipped with this configuration, or None to run it.
    skip: Callable[[Mapping[str, Any]], str | None] = lambda _config: None


SCHEDULE: tuple[Job, ...] = (
    Job("send-reminders", send_reminders),
    Job("deliver-mail", deliver_mail),
    Job("sync-youtube", sync_youtube, due=youtube_sync_due, skip=youtube_skip_reason),
    Job("purge", purge, every="PURGE_INTERVAL"),
)
