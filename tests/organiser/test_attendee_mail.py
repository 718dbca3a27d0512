"""Mail to attendees: chosen groups, preview with the count, one outbox row per person, no
duplicates, a history, and a limit per event and hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Account, AttendeeMail, Event, OutboxMessage, Registration
from hub.organiser import attendee_mail
from hub.timeutil import utcnow
from tests.organiser.conftest import CONNECT_EVENT

SLUG = "fremtidens-kreftbehandling"
MAIL = {"subject": "Slides are here", "body": "Hello all,\n\nthe slides: https://example.org/slides"}


def _people(make_registration: Callable[..., Registration]) -> None:
    make_registration(SLUG, "Kari", email="kari@example.org", checked_in_at=utcnow())
    make_registration(SLUG, "Per", email="per@example.org")
    make_registration(SLUG, "Ola", email="ola@example.org", attendance="online")
    make_registration(SLUG, "Sofie", email="sofie@example.org", status="waitlisted")
    make_registration(SLUG, "Jonas", email="jonas@example.org", status="cancelled")
    make_registration(SLUG, "Mo", email="mo@example.org", status="pending")


def _outbox() -> list[str]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "attendee_mail"))
    return sorted(r.recipient for r in rows)


def test_preview_counts_the_chosen_groups_and_sending_queues_one_mail_each(
    occ_client: FlaskClient, programme: Any, make_registration: Callable[..., Registration]
) -> None:
    _people(make_registration)
    url = f"/organiser/events/{SLUG}/mail"
    for groups, expected in [
        ({"statuses": ["confirmed"], "attendance": ["in_person", "online"]}, 3),
        ({"statuses": ["confirmed", "waitlisted"], "attendance": ["in_person", "online"]}, 4),
        ({"statuses": ["confirmed"], "attendance": ["online"]}, 1),
        ({"statuses": ["confirmed"], "attendance": ["in_person"], "checked_in_only": "y"}, 1),
    ]:
        preview = occ_client.post(url, data={**MAIL, **groups, "step": "preview"})
        assert preview.status_code == 200
        assert f"{expected} recipient" in preview.text, groups
    assert _outbox() == []  # previews send nothing
    assert "the slides: https://example.org/slides" in preview.text

    sent = occ_client.post(
        url,
        data={
            **MAIL,
            "statuses": ["confirmed", "waitlisted"],
            "attendance": ["in_person", "online"],
            "step": "send",
        },
    )
    assert sent.status_code == 302
    assert _outbox() == ["kari@example.org", "ola@example.org", "per@example.org", "sofie@example.org"]
    kari = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "kari@example.org"))
    assert kari is not None
    assert kari.subject == "Slides are here"
    assert "Kari" in kari.body_text
    assert "/registrations/cancel/" in kari.body_text  # the way out
    assert "/me/" in kari.body_text  # and "my sign-ups", as in every mail to an attendee
    assert kari.body_html is not None
    assert "/me/" in kari.body_html
    page = occ_client.get(url).text
    assert "The mail is on its way to 4 attendees." in page
    assert "Slides are here" in page
    assert "occ@example.org" in page

    # The same mail again (a double click, a retried request) is refused; nobody gets two.
    again = occ_client.post(
        url, data={**MAIL, "statuses": ["confirmed"], "attendance": ["in_person", "online"], "step": "send"}
    )
    assert again.status_code == 200
    assert "within the last hour" in again.text
    assert len(_outbox()) == 4


def test_groups_are_required_and_other_organisers_events_are_refused(
    occ_client: FlaskClient, programme: Any
) -> None:
    page = occ_client.post(f"/organiser/events/{SLUG}/mail", data={**MAIL, "statuses": [], "attendance": []})
    assert 'id="statuses-error"' in page.text
    assert 'id="attendance-error"' in page.text
    assert occ_client.get(f"/organiser/events/{CONNECT_EVENT}/mail").status_code == 404


def test_a_limit_per_event_and_hour(
    app: Any, programme: Any, occ: Account, make_registration: Callable[..., Registration]
) -> None:
    _people(make_registration)
    event = db.session.scalar(select(Event).where(Event.slug == SLUG))
    assert event is not None
    audience = attendee_mail.Audience(statuses=("confirmed",), attendance=("in_person", "online"))
    now = utcnow()

    def send(n: int, at: Any) -> AttendeeMail:
        return attendee_mail.send(
            db.session,
            event,
            subject=f"News {n}",
            body="Text",
            audience=audience,
            account=occ,
            links=Links.from_app(),
            now=at,
            per_hour=3,
        )

    for n in range(3):
        assert send(n, now + timedelta(minutes=n)).recipients == 3
    with pytest.raises(attendee_mail.MailRefused) as refused:
        send(3, now + timedelta(minutes=30))
    assert refused.value.reason == "limit"
    assert send(4, now + timedelta(minutes=61)).recipients == 3  # the hour has moved on
    assert len(_outbox()) == 12
