"""The background worker: the jobs of :data:`hub.jobs.SCHEDULE`, each on its own schedule.

``flask hub worker`` runs :func:`run` in a loop (``--once``: every job once, for cron or a
test). Each job commits its own work; a failing job is logged and the others go on, and the
worker never raises (it knows nothing of click). Any number of workers may run: outbox rows
are claimed one small batch at a time under a lease that names its run (see
:mod:`hub.mail.outbox`), and reminders are deduplicated.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from hub.extensions import db
from hub.jobs import SCHEDULE, Job, JobFailed

log = logging.getLogger(__name__)


@dataclass
class RoundReport:
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run_job(job: Job, report: RoundReport) -> None:
    """Run one job; its outcome (or failure, in one line) goes into ``report``."""
    skipped = job.skip(current_app.config)
    if skipped:
        report.lines.append(f"{job.name}: skipped: {skipped}")
        return
    try:
        outcome = job.run()
    except JobFailed as exc:
        db.session.rollback()
        log.warning("worker: %s failed: %s", job.name, exc)
        report.failed.append(job.name)
        report.lines.append(f"{job.name}: failed: {exc}")
    except Exception as exc:
        db.session.rollback()
        log.exception("worker: %s failed", job.name)
        report.failed.append(job.name)
        report.lines.append(f"{job.name}: failed: {exc.__class__.__name__}: {exc}")
    else:
        details = outcome.lines()
        if details != [outcome.summary()]:
            for line in details:
                log.info("worker: %s: %s", job.name, line)
        report.lines.append(f"{job.name}: {outcome.summary()}")
    finally:
        db.session.remove()


def run_round(jobs: Iterable[Job] = SCHEDULE) -> RoundReport:
    report = RoundReport()
    for job in jobs:
        run_job(job, report)
    return report


def run() -> None:
    """Loop until SIGTERM or SIGINT: a round every WORKER_INTERVAL seconds, each job when its
    own interval has passed, each round's outcome in the log."""
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("worker: signal %d, stopping after this round", signum)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(signum, _stop)
    interval = float(current_app.config["WORKER_INTERVAL"])
    next_run = {job.name: time.monotonic() for job in SCHEDULE}
    while not stop.is_set():
        started = time.monotonic()
        due = [job for job in SCHEDULE if started >= next_run[job.name] and (job.due is None or job.due())]
        for job in due:
            if job.every is not None:
                next_run[job.name] = started + float(current_app.config[job.every])
        for line in run_round(due).lines:
            log.info("worker: %s", line)
        stop.wait(max(interval - (time.monotonic() - started), 0.0))
