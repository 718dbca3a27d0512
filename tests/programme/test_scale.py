"""A festival-sized programme: one day at a time, and a constant number of queries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.models import Event
from hub.programme.importer import import_programme
from hub.programme.synthetic import generate_programme
from tests.conftest import counted_queries, make_config


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Rendering is measured here, not the cache in front of it."""
    return make_config(tmp_path, CACHE_ENABLED=False)


def load(events: int) -> None:
    import_programme(db.session, generate_programme(events=events, days=7, venues=60, seed=7))
    db.session.commit()


def queries_for(client: FlaskClient, path: str) -> int:
    with counted_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_queries_do_not_grow_with_the_number_of_events(app: Flask, client: FlaskClient) -> None:
    load(30)
    first = db.session.scalars(select(Event).order_by(Event.starts_at)).first()
    assert first is not None
    organiser = first.organisers[0].slug
    paths = ["/", f"/?organiser={organiser}", "/?q=helse", f"/events/{first.slug}"]
    small = {path: queries_for(client, path) for path in paths}
    import_programme(db.session, generate_programme(events=1500, days=7, venues=60, seed=8))
    db.session.commit()
    large = {path: queries_for(client, path) for path in paths}
    # The same statements at 30 and 1,500 events (a search that found nothing at 30 skips
    # the two eager loads of the found events' organisers and livestreams).
    assert all(small[path] <= large[path] <= small[path] + 2 for path in paths)
    assert max(large.values()) <= 11  # and once whether the festival is over


def test_a_large_programme_is_shown_one_day_at_a_time(app: Flask, client: FlaskClient) -> None:
    data = generate_programme(events=1500, days=7, venues=60, seed=3)
    import_programme(db.session, data)
    db.session.commit()
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "1500 events; showing one day at a time." in html
    shown = len(re.findall(r'class="event-card"', html))
    first_day = [e for e in data["events"] if e["starts_at"].startswith("2023-08-14")]
    assert shown == len(first_day)
    assert 150 < shown < 300
    day3 = client.get("/?day=2023-08-16").get_data(as_text=True)
    assert len(re.findall(r'class="event-card"', day3)) == len(
        [e for e in data["events"] if e["starts_at"].startswith("2023-08-16")]
    )
