"""The `flask hub` commands that set up and load the hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, inspect, select

from hub.extensions import db
from hub.models import Event


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_init_creates_schema_and_loads_the_programme_once(app: Flask, runner: FlaskCliRunner) -> None:
    db.drop_all()
    result = runner.invoke(args=["hub", "init"])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output
    assert db.session.scalar(select(func.count(Event.id))) == 4
    again = runner.invoke(args=["hub", "init"])
    assert again.exit_code == 0
    assert "already loaded" in again.output
    assert db.session.scalar(select(func.count(Event.id))) == 4


def test_migrations_build_the_schema_the_models_describe(app: Flask, runner: FlaskCliRunner) -> None:
    """`flask hub init` (Alembic) and the models agree: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    assert runner.invoke(args=["hub", "init"]).exit_code == 0
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    assert "registrations" in inspect(db.engine).get_table_names()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")


def one_event(**overrides: object) -> str:
    event = {
        "slug": "a",
        "title": "A",
        "language": "nb",
        "starts_at": "2023-08-15T08:00:00+02:00",
        "ends_at": "2023-08-15T09:00:00+02:00",
        **overrides,
    }
    return json.dumps({"festival": {"slug": "x", "name": "X"}, "events": [event]})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not valid JSON (line 1, column 1"),
        ("[]", 'must be a JSON object with "festival" and "events"'),
        ('{"festival": {"slug": "x", "name": "X"}, "events": {}}', "events: must be a list"),
        (
            one_event(starts_at="2023-08-15 08:00"),
            "events[0].starts_at: '2023-08-15 08:00' is not an ISO 8601 time with offset",
        ),
        (one_event(language="sv"), "events[0].language: must be 'nb' or 'en'"),
        (one_event(starts_at="2023-08-15T10:00:00+02:00"), "events[0].ends_at: must be after starts_at"),
        (one_event(capacity="many"), "events[0].capacity: must be a whole number of seats"),
        (one_event(agenda=[{"title": ""}]), "events[0].agenda[0].title: must be a non-empty string"),
        (one_event(slug="a b/c"), "events[0].slug: must be lower-case letters, digits and hyphens"),
        (one_event(title="x" * 301), "events[0].title: must have at most 300 characters"),
        (one_event(links="x"), "events[0].links: must be an object"),
        (
            one_event(links={"read_more": "javascript:alert(1)"}),
            "events[0].links.read_more: must be an http(s)",
        ),
        (one_event(venue={"name": "Sal", "address": ["a"]}), "events[0].venue.address: must be a non-empty"),
        (one_event(livestream={"video_id": 12345}), "events[0].livestream.video_id: must be an 11-character"),
        (
            one_event(livestream={"video_id": "live_stream"}),
            "events[0].livestream.video_id: must be an 11-char",
        ),
    ],
)
def test_malformed_files_are_rejected_with_a_message_and_nothing_changes(
    app: Flask, runner: FlaskCliRunner, programme: object, tmp_path: Path, content: str, message: str
) -> None:
    result = runner.invoke(args=["hub", "import", write(tmp_path, "bad.json", content)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Event.id))) == 4


def test_missing_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["hub", "import", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_commands_say_when_the_database_is_not_set_up(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    db.drop_all()
    path = write(tmp_path, "p.json", json.dumps({"festival": {"slug": "x", "name": "X"}, "events": []}))
    result = runner.invoke(args=["hub", "import", path])
    assert result.exit_code == 1
    assert "has 'flask hub init' run?" in result.output
    assert "Traceback" not in result.output


def test_generate_writes_an_importable_synthetic_programme(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "synthetic.json"
    result = runner.invoke(
        args=["hub", "generate", "--events", "120", "--days", "3", "--venues", "10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    imported = runner.invoke(args=["hub", "import", str(out)])
    assert "120 created" in imported.output
    assert db.session.scalar(select(func.count(Event.id))) == 120
