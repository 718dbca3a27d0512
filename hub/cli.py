"""The ``flask hub ...`` command group: thin shells over the services.

Every command exits non-zero with a one-line message on bad input, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from hub.extensions import db
from hub.models import Account, Event, Organiser
from hub.programme.importer import ProgrammeFileError, import_programme, read_programme_file


class HubGroup(AppGroup):
    """Turns a database that is missing or not set up into a one-line message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            db.session.rollback()
            reason = str(exc.orig).splitlines()[0] if exc.orig else exc.__class__.__name__
            raise click.ClickException(
                f"database error: {reason}. "
                "Is HUB_SQLALCHEMY_DATABASE_URI right, and has 'flask hub init' run?"
            ) from None
        except SQLAlchemyError as exc:
            db.session.rollback()
            reason = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0]
            raise click.ClickException(f"the database refused the change: {reason}") from None


hub_cli = HubGroup("hub", help="Arendalsuka hub: set up, import, send mail, sync YouTube.")


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit 1 (click shows no traceback)."""
    raise click.ClickException(message)


@hub_cli.command("init")
def init_command() -> None:
    """Create or upgrade the schema; load the shipped programme when the database is empty."""
    from flask_migrate import upgrade

    try:
        upgrade()
    except SQLAlchemyError as exc:
        fail(f"cannot reach or upgrade the database: {exc.__class__.__name__}: {exc}")
    if db.session.scalar(select(func.count(Event.id))):
        click.echo("Schema is up to date; the programme is already loaded.")
        return
    path = current_app.config["PROGRAMME_FILE"]
    try:
        report = import_programme(db.session, read_programme_file(path))
    except ProgrammeFileError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"Schema created; loaded {Path(path).name}: {report.summary()}.")


@hub_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Load or update a programme from a JSON FILE (events matched by slug).

    Where a capacity changed, free seats go to the waiting list in the same transaction; their
    mail waits in the outbox for deliver-mail or the worker (this command needs no mail server).
    """
    from hub.mail.compose import Links
    from hub.mail.delivery import commit_and_deliver
    from hub.registration.service import promote_after_capacity_change
    from hub.timeutil import utcnow

    try:
        report = import_programme(db.session, read_programme_file(file))
    except ProgrammeFileError as exc:
        db.session.rollback()
        fail(f"not imported: {exc}")
    promoted = promote_after_capacity_change(
        db.session, report.capacity_changed, now=utcnow(), links=Links.from_app()
    )
    commit_and_deliver(db.session, inline=False)  # sent by 'flask hub deliver-mail' or the worker
    click.echo(report.summary())
    if promoted:
        each = ", ".join(f"{slug}: {count}" for slug, count in promoted.items())
        click.echo(
            f"promoted {sum(promoted.values())} from the waiting list ({each}); their mail is in "
            "the outbox for 'flask hub deliver-mail' or the worker"
        )


@hub_cli.command("deliver-mail")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000), help="at most")
@click.option("--retry-now", is_flag=True, help="retry failed mail now instead of at its next try")
def deliver_mail_command(limit: int, retry_now: bool) -> None:
    """Send what the outbox holds, with retry and backoff; print sent, failed and waiting."""
    from hub import jobs

    click.echo(jobs.deliver_mail(limit=limit, retry_now=retry_now).summary())


@hub_cli.command("send-reminders")
def send_reminders_command() -> None:
    """Queue the reminders that are due (REMINDER_OFFSETS before each event), each queued once."""
    from hub import jobs

    try:
        click.echo(jobs.send_reminders().summary())
    except jobs.JobFailed as exc:
        fail(str(exc))


@hub_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="print what would be erased, erase nothing")
def purge_command(dry_run: bool) -> None:
    """Erase personal data past retention (RETENTION_DAYS after each event), keeping the counts.

    Safe to run again, and from two places at once.
    """
    from hub import jobs

    for line in jobs.purge(dry_run=dry_run).lines():
        click.echo(line)


@hub_cli.command("worker")
@click.option("--once", is_flag=True, help="every job once (reminders, mail, YouTube sync), then exit")
def worker_command(once: bool) -> None:
    """Run the jobs (send-reminders, deliver-mail, sync-youtube, ...) on their schedules."""
    from hub import worker

    if not once:
        worker.run()
        return
    report = worker.run_round()
    for line in report.lines:
        click.echo(line)
    if report.failed:
        fail(f"worker: {', '.join(report.failed)} failed (see above)")


@hub_cli.command("generate")
@click.option("--events", default=1500, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 60))
@click.option("--venues", default=60, show_default=True, type=click.IntRange(1, 1000))
@click.option("--seed", default=2023, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write here; default stdout")
def generate_command(events: int, days: int, venues: int, seed: int, out: Path | None) -> None:
    """Write a synthetic festival programme (for load tests) in the programme file shape."""
    from hub.programme.synthetic import generate_programme

    text = json.dumps(
        generate_programme(events=events, days=days, venues=venues, seed=seed), ensure_ascii=False
    )
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {events} events over {days} days in {venues} venues to {out}")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@hub_cli.command("create-organiser")
@click.argument("email")
@click.option("--admin", is_flag=True, help="sees every event")
@click.option("--organiser", "organisers", multiple=True, help="an organiser whose events the account sees")
def create_organiser_command(email: str, admin: bool, organisers: tuple[str, ...]) -> None:
    """Make an organiser login that sees the events of the named organisers (all, with --admin).

    The password is read from the first line of stdin, or prompted for on a terminal.
    """
    from flask_babel import force_locale

    from hub.organiser import accounts
    from hub.timeutil import utcnow

    password = _read_password()
    email = accounts.normalise_email(email)
    if "@" not in email or len(email) > 254:
        fail(f"{email!r} is not an email address")
    try:
        accounts.check_password_rules(password, email)
    except accounts.PasswordRejected as exc:
        with force_locale("en"):
            fail(f"the password is refused: {exc.message}")
    if not admin and not organisers:
        fail("name at least one --organiser, or give --admin")
    found: list[Organiser] = []
    for name in organisers:
        org = db.session.scalar(select(Organiser).where((Organiser.name == name) | (Organiser.slug == name)))
        if org is None:
            raise click.ClickException(
                f"no organiser called {name!r}; see the organiser filter on the programme page"
            )
        found.append(org)
    account = accounts.find_account(db.session, email)
    created = account is None
    if account is None:
        account = Account(email=email, password_hash="")
        db.session.add(account)
    accounts.set_password(db.session, account, password, now=utcnow())
    account.is_admin = admin
    account.active = True
    account.organisers = found
    db.session.commit()
    scope = "all events" if admin else ", ".join(o.name for o in found)
    click.echo(f"{'created' if created else 'updated'} organiser account {email} ({scope})")


@hub_cli.command("sync-youtube")
def sync_youtube_command() -> None:
    """Find the channel's broadcasts through the YouTube Data API and link them to events."""
    from hub import jobs

    try:
        report = jobs.sync_youtube()
    except jobs.JobFailed as exc:
        fail(str(exc))
    for line in report.lines():
        click.echo(line)


@hub_cli.command("pin-livestream")
@click.argument("slug")
@click.argument("url_or_id", required=False)
@click.option("--unpin", is_flag=True, help="remove the pin; the next sync matches the event afresh")
def pin_livestream_command(slug: str, url_or_id: str | None, unpin: bool) -> None:
    """Pin a YouTube video (any link form or the id) to the event SLUG; a sync keeps it."""
    from hub.livestream.pins import InvalidVideoReference, linked_elsewhere, pin_video
    from hub.livestream.pins import unpin as unpin_video
    from hub.livestream.urls import parse_video_id
    from hub.timeutil import utcnow

    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        fail(f"no event with the slug {slug!r}")
    if unpin:
        if url_or_id:
            fail("give either a URL or id to pin, or --unpin, not both")
        removed = unpin_video(db.session, event)
        db.session.commit()
        click.echo(f"unpinned the video of {slug}" if removed else f"{slug} had no pinned video")
        return
    if not url_or_id:
        fail("give the YouTube URL or video id to pin (or --unpin)")
    video_id = parse_video_id(url_or_id)
    taken = [o.event.slug for o in linked_elsewhere(db.session, event, video_id)] if video_id else []
    try:  # an operator's tool: a video linked to another event moves here
        stream = pin_video(db.session, event, url_or_id, utcnow(), take_over=True)
    except InvalidVideoReference as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    moved = f" (taken from {', '.join(taken)})" if taken else ""
    click.echo(f"pinned {stream.video_id} to {slug}{moved}; the next sync refreshes its status")
