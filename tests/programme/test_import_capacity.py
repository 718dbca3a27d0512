"""A capacity changed by `flask hub import` moves the waiting list up in the same transaction."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Event, OutboxMessage, Registration, RegistrationStatus
from hub.programme.importer import import_programme
from hub.registration import service
from tests.registration.conftest import details

SLUG = "fremtidens-kreftbehandling"
# Two weeks before the shipped programme (August 2023), while its sign-up is open.
T0 = datetime(2023, 8, 1, 9, 0, tzinfo=UTC)
CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED


def with_capacity(data: dict[str, Any], capacity: int | None, slug: str = SLUG) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    (event,) = [e for e in changed["events"] if e["slug"] == slug]
    event["capacity"] = capacity
    return changed


def import_file(runner: FlaskCliRunner, tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "programme.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["hub", "import", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def event() -> Event:
    found = db.session.scalar(select(Event).where(Event.slug == SLUG))
    assert found is not None
    return found


def confirmed(app: Flask, email: str, minute: int) -> Registration:
    """Sign up and confirm, as the attendee's two clicks would (each committed)."""
    links = Links.from_app(app)
    now = T0.replace(minute=minute)
    service.sign_up(db.session, event(), details(email), now=now, links=links)
    registration = service.find_registration(db.session, event(), email)
    assert registration is not None
    service.confirm(db.session, registration, now=now, links=links)
    db.session.commit()
    return registration


def status(email: str) -> RegistrationStatus:
    db.session.expire_all()
    return RegistrationStatus(
        db.session.scalar(select(Registration.status).where(Registration.email == email))
    )


def promoted_mail() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "promoted")))


def test_raising_the_capacity_gives_the_new_seat_to_the_waiting_list_not_a_newcomer(
    app: Flask, runner: FlaskCliRunner, programme: dict[str, Any], tmp_path: Path
) -> None:
    import_file(runner, tmp_path, with_capacity(programme, 1))
    confirmed(app, "a@example.org", 1)
    confirmed(app, "b@example.org", 2)
    assert status("b@example.org") == WAITLISTED

    result = import_file(runner, tmp_path, with_capacity(programme, 2))
    assert "1 updated" in result.output
    assert f"promoted 1 from the waiting list ({SLUG}: 1)" in result.output
    assert "deliver-mail" in result.output  # where the mail goes from here
    assert status("b@example.org") == CONFIRMED
    assert event().seats_taken == 2
    (mail,) = promoted_mail()
    assert mail.recipient == "b@example.org"
    assert mail.sent_at is None  # left in the outbox for deliver-mail or the worker

    # The newcomer confirming afterwards finds the event full.
    confirmed(app, "c@example.org", 3)
    assert status("c@example.org") == WAITLISTED
    assert event().seats_taken == 2


def test_removing_the_limit_seats_everyone_waiting_in_order(
    app: Flask, runner: FlaskCliRunner, programme: dict[str, Any], tmp_path: Path
) -> None:
    import_file(runner, tmp_path, with_capacity(programme, 1))
    confirmed(app, "a@example.org", 1)
    confirmed(app, "b@example.org", 2)
    confirmed(app, "c@example.org", 3)

    result = import_file(runner, tmp_path, with_capacity(programme, None))
    assert f"promoted 2 from the waiting list ({SLUG}: 2)" in result.output
    assert [status(e) for e in ("b@example.org", "c@example.org")] == [CONFIRMED, CONFIRMED]
    assert [m.recipient for m in promoted_mail()] == ["b@example.org", "c@example.org"]
    assert event().seats_taken == 3
    confirmed(app, "d@example.org", 4)
    assert status("d@example.org") == CONFIRMED


def test_lowering_the_capacity_moves_nobody_and_a_cancellation_then_frees_no_seat(
    app: Flask, runner: FlaskCliRunner, programme: dict[str, Any], tmp_path: Path
) -> None:
    import_file(runner, tmp_path, with_capacity(programme, 2))
    first = confirmed(app, "a@example.org", 1)
    confirmed(app, "b@example.org", 2)
    confirmed(app, "c@example.org", 3)
    assert status("c@example.org") == WAITLISTED

    result = import_file(runner, tmp_path, with_capacity(programme, 1))
    assert "promoted" not in result.output
    assert status("b@example.org") == CONFIRMED  # a held seat is never taken away
    assert event().seats_taken == 2

    links = Links.from_app(app)
    service.cancel(db.session, first, now=T0.replace(minute=10), links=links)
    db.session.commit()
    assert status("c@example.org") == WAITLISTED  # 1 seat taken for capacity 1: nobody moves up
    assert event().seats_taken == 1
    assert promoted_mail() == []


def test_the_report_names_only_the_events_whose_capacity_changed(
    app: Flask, programme: dict[str, Any]
) -> None:
    again = import_programme(db.session, copy.deepcopy(programme))
    assert again.capacity_changed == []
    data = with_capacity(programme, 5)
    data["events"][1]["title"] += " (updated)"
    data["events"].append({**copy.deepcopy(programme["events"][0]), "slug": "brand-new", "capacity": 3})
    report = import_programme(db.session, data)
    assert report.capacity_changed == [SLUG]
    assert sorted(report.updated) == sorted([SLUG, data["events"][1]["slug"]])
    assert report.created == ["brand-new"]


def test_an_unchanged_import_promotes_nobody(
    app: Flask, runner: FlaskCliRunner, programme: dict[str, Any], tmp_path: Path
) -> None:
    import_file(runner, tmp_path, with_capacity(programme, 1))
    confirmed(app, "a@example.org", 1)
    confirmed(app, "b@example.org", 2)
    result = import_file(runner, tmp_path, with_capacity(programme, 1))
    assert "promoted" not in result.output
    assert status("b@example.org") == WAITLISTED
