"""An account sees only its organisers' events; an admin sees them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub.extensions import db
from hub.models import Account, Registration
from hub.organiser.access import visible_events
from tests.organiser.conftest import CONNECT_EVENT, OCC_EVENTS, login

ALL_EVENTS = {*OCC_EVENTS, CONNECT_EVENT}


def _slugs(account: Account) -> set[str]:
    return {event.slug for event in db.session.scalars(visible_events(account))}


def test_scope_follows_the_accounts_organisers(programme: Any, make_account: Callable[..., Account]) -> None:
    assert _slugs(make_account("occ@example.org", "Oslo Cancer Cluster")) == OCC_EVENTS
    assert _slugs(make_account("connect@example.org", "CONNECT")) == {CONNECT_EVENT}
    assert _slugs(make_account("two@example.org", "Photocure", "CONNECT")) == {
        "medisinsk-innovasjon-etter-inflation-reduction-act",
        CONNECT_EVENT,
    }
    assert _slugs(make_account("admin@example.org", admin=True)) == ALL_EVENTS
    assert _slugs(make_account("none@example.org")) == set()


def test_dashboard_lists_only_the_accounts_events(occ_client: FlaskClient) -> None:
    page = occ_client.get("/organiser/").get_data(as_text=True)
    for slug in OCC_EVENTS:
        assert f'data-event="{slug}"' in page
    assert f'data-event="{CONNECT_EVENT}"' not in page


@pytest.mark.parametrize(
    "path",
    ["/organiser/events/{slug}", "/organiser/events/{slug}/registrations.csv"],
)
def test_someone_elses_event_is_not_found(occ_client: FlaskClient, path: str) -> None:
    assert occ_client.get(path.format(slug=CONNECT_EVENT)).status_code == 404
    assert occ_client.get(path.format(slug="no-such-event")).status_code == 404
    assert occ_client.get(path.format(slug="future-of-digital-health-in-norway")).status_code == 200


def test_cannot_check_in_at_someone_elses_event(
    occ_client: FlaskClient, make_registration: Callable[..., Registration]
) -> None:
    theirs = make_registration(CONNECT_EVENT, "Ola Nordmann")
    response = occ_client.post(f"/organiser/events/{CONNECT_EVENT}/registrations/{theirs.public_id}/check-in")
    assert response.status_code == 404
    # Nor by putting their registration under one of our events.
    ours = "future-of-digital-health-in-norway"
    response = occ_client.post(f"/organiser/events/{ours}/registrations/{theirs.public_id}/check-in")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, theirs.id).checked_in_at is None


def test_admin_sees_every_event(
    client: FlaskClient, programme: Any, make_account: Callable[..., Account]
) -> None:
    make_account("admin@example.org", admin=True)
    login(client, "admin@example.org")
    page = client.get("/organiser/?lang=en").get_data(as_text=True)
    assert "You see every event" in page
    for slug in ALL_EVENTS:
        assert f'data-event="{slug}"' in page
        assert client.get(f"/organiser/events/{slug}").status_code == 200


def test_account_without_events_sees_an_empty_dashboard(
    client: FlaskClient, programme: Any, make_account: Callable[..., Account]
) -> None:
    make_account("none@example.org")
    login(client, "none@example.org")
    page = client.get("/organiser/?lang=en").get_data(as_text=True)
    assert "There are no events for your account yet." in page
