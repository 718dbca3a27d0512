"""QR tickets: the seat mail carries a QR code that decodes to a check-in URL that works once,
for the event's organisers only; the door mode checks in without a reload and takes walk-ins."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from hub.extensions import db
from hub.models import Account, Event, Registration
from hub.timeutil import utcnow
from tests.conftest import make_config
from tests.organiser.conftest import CONNECT_EVENT, login
from tests.smtp import SMTPServer

SLUG = "fremtidens-kreftbehandling"


@pytest.fixture
def app_config(tmp_path: Path, smtp_server: Any) -> dict[str, Any]:
    return make_config(
        tmp_path,
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_DEFAULT_SENDER="Arendalsuka hub <noreply@hub.test>",
    )


def _sign_up_and_confirm(
    client: FlaskClient, server: SMTPServer, email: str, attendance: str = "in_person"
) -> EmailMessage:
    event = db.session.scalar(select(Event).where(Event.slug == SLUG))
    assert event is not None
    if event.starts_at < utcnow():  # sign-up is open only before the start
        event.starts_at = utcnow() + timedelta(days=10)
        event.ends_at = event.starts_at + timedelta(hours=1)
        db.session.commit()
    response = client.post(
        f"/events/{SLUG}/register?lang=en",
        data={"name": "Kari Nordmann", "email": email, "attendance": attendance, "consent": "y"},
    )
    assert response.status_code == 302
    response.close()  # the mail goes out after the response, as under a WSGI server
    body = server.to(email)[-1].message.get_body(preferencelist=("plain",)).get_content()
    confirm = re.search(r"http://hub\.test(/registrations/confirm/\S+)", body)
    assert confirm
    client.post(confirm.group(1)).close()
    return server.to(email)[-1].message


def _qr_url(message: EmailMessage) -> str:
    """Decode the QR image the HTML part shows (by its Content-ID) with zxing-cpp."""
    html = message.get_body(preferencelist=("html",)).get_content()
    cid = re.search(r'<img src="cid:([^"]+)"', html)
    assert cid, "the HTML part shows no inline image"
    images = [p for p in message.walk() if p.get("Content-ID") == f"<{cid.group(1)}>"]
    assert len(images) == 1
    assert images[0].get_content_type() == "image/png"
    assert images[0].get_content_disposition() == "inline"
    picture = Image.open(io.BytesIO(images[0].get_payload(decode=True)))
    (code,) = zxingcpp.read_barcodes(picture)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    return str(code.text)


def test_the_qr_in_the_mail_checks_in_once(
    client: FlaskClient,
    app: Any,
    smtp_server: SMTPServer,
    programme: Any,
    make_account: Callable[..., Account],
) -> None:
    mail = _sign_up_and_confirm(client, smtp_server, "kari@example.org")
    assert mail["Subject"].startswith("You are signed up")
    url = _qr_url(mail)
    assert url.startswith("http://hub.test/organiser/checkin/")
    path = urlsplit(url).path
    registration = db.session.scalar(select(Registration).where(Registration.email == "kari@example.org"))
    assert registration is not None

    # Without a login the ticket shows nothing.
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 302

    make_account("occ@example.org", "Oslo Cancer Cluster")
    door = app.test_client()
    door.get("/?lang=en")
    login(door, "occ@example.org")
    page = door.get(path)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert "Ready to check in" in page.text
    assert "Kari Nordmann" in page.text
    assert "Fremtidens kreftbehandling" in page.text
    db.session.refresh(registration)
    assert registration.checked_in_at is None  # the GET changed nothing

    assert door.post(path).status_code == 302
    db.session.refresh(registration)
    first = registration.checked_in_at
    assert first is not None
    again = door.get(path)
    assert "Already checked in" in again.text
    assert 'id="checkin-button"' not in again.text
    assert door.post(path).status_code == 409  # a second scan checks in nothing
    db.session.refresh(registration)
    assert registration.checked_in_at == first

    # From the door mode of another event, the ticket is shown as the wrong event.
    wrong = door.get(path + "?door=future-of-digital-health-in-norway")
    assert "Ticket for another event" in wrong.text


def test_another_organisers_ticket_is_refused(
    client: FlaskClient,
    app: Any,
    smtp_server: SMTPServer,
    programme: Any,
    make_account: Callable[..., Account],
) -> None:
    path = urlsplit(_qr_url(_sign_up_and_confirm(client, smtp_server, "kari@example.org"))).path
    make_account("connect@example.org", "CONNECT")
    other = app.test_client()
    login(other, "connect@example.org")
    assert other.get(path).status_code == 404
    assert other.post(path).status_code == 404
    registration = db.session.scalar(select(Registration).where(Registration.email == "kari@example.org"))
    assert registration is not None
    assert registration.checked_in_at is None
    # A ticket altered by one character is nobody's.
    make_account("occ@example.org", "Oslo Cancer Cluster")
    occ = app.test_client()
    login(occ, "occ@example.org")
    assert occ.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404


def test_online_attendees_get_no_ticket_and_cannot_be_checked_in(
    client: FlaskClient,
    app: Any,
    smtp_server: SMTPServer,
    programme: Any,
    make_account: Callable[..., Account],
) -> None:
    mail = _sign_up_and_confirm(client, smtp_server, "ola@example.org", attendance="online")
    assert "cid:" not in mail.get_body(preferencelist=("html",)).get_content()
    assert all(p.get_content_type() != "image/png" for p in mail.walk())
    registration = db.session.scalar(select(Registration).where(Registration.email == "ola@example.org"))
    assert registration is not None
    make_account("occ@example.org", "Oslo Cancer Cluster")
    occ = app.test_client()
    occ.get("/?lang=en")
    login(occ, "occ@example.org")
    assert registration.public_id not in occ.get(f"/organiser/events/{SLUG}/door").text
    answer = occ.post(
        f"/organiser/events/{SLUG}/registrations/{registration.public_id}/check-in",
        headers={"Accept": "application/json"},
    )
    assert answer.json["ok"] is False
    assert "only in-person attendees are checked in" in answer.json["message"]
    db.session.refresh(registration)
    assert registration.checked_in_at is None


def test_door_mode_checks_in_by_script_and_takes_walk_ins(
    occ_client: FlaskClient, programme: Any, make_registration: Callable[..., Registration]
) -> None:
    kari = make_registration(SLUG, "Kari Nordmann", email="kari@example.org")
    make_registration(SLUG, "Per Hansen", email="per@example.org")
    make_registration(SLUG, "Ola Online", email="ola@example.org", attendance="online")
    page = occ_client.get(f"/organiser/events/{SLUG}/door")
    assert page.status_code == 200
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    assert '<span id="door-count">0</span> / <span id="door-expected">2</span>' in page.text
    assert "Ola Online" not in page.text
    found = occ_client.get(f"/organiser/events/{SLUG}/door?q=kari").text
    assert "Kari Nordmann" in found
    assert "Per Hansen" not in found

    url = f"/organiser/events/{SLUG}/registrations/{kari.public_id}/check-in"
    answer = occ_client.post(url, headers={"Accept": "application/json"})
    assert answer.json == {
        "ok": True,
        "message": "Kari Nordmann is checked in.",
        "checked_in": True,
        "time": answer.json["time"],
        "count": 1,
        "expected": 2,
    }
    assert occ_client.post(url, headers={"Accept": "application/json"}).json["ok"] is False  # already
    undo = occ_client.post(
        f"/organiser/events/{SLUG}/registrations/{kari.public_id}/undo-check-in",
        headers={"Accept": "application/json"},
    ).json
    assert (undo["checked_in"], undo["count"]) == (False, 0)
    # Without the script: the plain form comes back to the door.
    plain = occ_client.post(url, data={"door": "1"})
    assert plain.headers["Location"].endswith(f"/organiser/events/{SLUG}/door")

    walk_in = occ_client.post(
        f"/organiser/events/{SLUG}/door/walk-in",
        data={"name": "Nina Walker", "email": "Nina@Example.org", "organisation": ""},
    )
    assert walk_in.status_code == 302
    nina = db.session.scalar(select(Registration).where(Registration.email == "nina@example.org"))
    assert nina is not None
    assert nina.status.value == "confirmed"
    assert nina.checked_in_at is not None
    event = db.session.scalar(select(Event).where(Event.slug == SLUG))
    assert event is not None
    assert event.seats_taken == 1
    page = occ_client.get(f"/organiser/events/{SLUG}/door").text
    assert '<span id="door-count">2</span> / <span id="door-expected">3</span>' in page
    again = occ_client.post(
        f"/organiser/events/{SLUG}/door/walk-in", data={"name": "Kari", "email": "kari@example.org"}
    )
    assert again.status_code == 400
    assert "already signed up" in again.text
    event.capacity = 1
    db.session.commit()
    full = occ_client.post(
        f"/organiser/events/{SLUG}/door/walk-in", data={"name": "X", "email": "x@example.org"}
    )
    assert "The event is full" in full.text
    assert occ_client.get(f"/organiser/events/{CONNECT_EVENT}/door").status_code == 404
