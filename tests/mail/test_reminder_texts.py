"""The reminders read right for the moment (tomorrow at HH:MM, in an hour) and the mode
(in person: where and a map; online: the watch link, never "give your place away"),
in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote_plus

import pytest

from hub.extensions import db
from hub.mail.compose import Links
from hub.mail.delivery import deliver_pending
from hub.mail.reminders import parse_offsets, queue_due_reminders
from hub.models import Attendance, Registration, RegistrationStatus
from hub.timeutil import local, utcnow
from tests.factories import make_event
from tests.mail.test_delivery import html_part, text_part
from tests.smtp import SMTPServer

MAP = "https://www.openstreetmap.org/search?query=" + quote_plus("Test hall, Teaterplassen 2, 4836 Arendal")
# The personal watch link (/watch/<token>), never the raw YouTube address.
WATCH = "http://hub.test/watch/"

EXPECTED: dict[str, dict[str, Any]] = {
    "en": {
        "24h": "tomorrow at {time}",
        "1h": "in an hour",
        "subject": "Reminder: Test event starts {when}",
        "in_person": "A reminder: the event starts {when}, and you have a seat.",
        "online": "A reminder: the event starts {when}, and you follow it online.",
        "map": "Map: ",
        "give_away": "so that your place goes to someone else",
        "watch": "Watch here when it starts:",
    },
    "nb": {
        "24h": "i morgen kl. {time}",
        "1h": "om en time",
        "subject": "Påminnelse: Test event starter {when}",
        "in_person": "En påminnelse: arrangementet starter {when}, og du har en plass.",
        "online": "En påminnelse: arrangementet starter {when}, og du følger det på nett.",
        "map": "Kart: ",
        "give_away": "så plassen din kan gå til en annen",
        "watch": "Se her når det starter:",
    },
}


def remind(
    server: SMTPServer, start: datetime, attendance: Attendance, locale: str, offset: str
) -> EmailMessage:
    """One confirmed sign-up; its reminder queued when the offset's window opens, and sent."""
    event = make_event(starts_at=start)
    db.session.add(
        Registration(
            event_id=event.id,
            email="ada@example.org",
            name="Ada",
            status=RegistrationStatus.CONFIRMED,
            attendance=attendance,
            created_at=start - timedelta(days=10),
            confirmed_at=start - timedelta(days=10),
            locale=locale,
        )
    )
    db.session.commit()
    now = start - parse_offsets(offset)[0].delta
    assert queue_due_reminders(db.session, now, parse_offsets("24h,1h"), Links.from_app()) == 1
    db.session.commit()
    assert deliver_pending(now).sent == 1
    (received,) = server.received
    return received.message


@pytest.mark.parametrize("locale", ["en", "nb"])
@pytest.mark.parametrize("offset", ["24h", "1h"])
@pytest.mark.parametrize("attendance", [Attendance.IN_PERSON, Attendance.ONLINE])
def test_the_reminder_reads_right(
    app: Any, smtp_server: SMTPServer, locale: str, offset: str, attendance: Attendance
) -> None:
    start = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    message = remind(smtp_server, start, attendance, locale, offset)
    words = EXPECTED[locale]
    when = words[offset].format(time=local(start).strftime("%H:%M"))
    text, page = text_part(message), html_part(message)

    assert message["Subject"] == words["subject"].format(when=when)
    lead = words["in_person" if attendance == Attendance.IN_PERSON else "online"].format(when=when)
    assert lead in text
    assert lead in page
    assert "/registrations/cancel/" in text
    if attendance == Attendance.IN_PERSON:
        assert "Test hall, Teaterplassen 2, 4836 Arendal" in text
        assert words["map"] + MAP in text
        assert f'href="{MAP.replace("&", "&amp;")}"' in page
        assert words["give_away"] in text
        assert words["give_away"] in page
        assert WATCH not in text
    else:
        assert f"{words['watch']} {WATCH}" in text
        assert f'href="{WATCH}' in page
        assert "youtube.com" not in text
        assert words["give_away"] not in text
        assert words["give_away"] not in page
        assert MAP not in text
