"""Accounts by invitation, password reset, and the admin's account list with disabling."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from hub.extensions import db
from hub.models import Account, OutboxMessage
from tests.organiser.conftest import login

NEW_PASSWORD = "blåbærsyltetøy på lørdag"


def _mail_to(address: str, kind: str) -> OutboxMessage:
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address, OutboxMessage.kind == kind)
    ).all()
    assert len(rows) == 1, [r.kind for r in rows]
    return rows[0]


def _link(mail: OutboxMessage, word: str) -> str:
    found = re.search(rf"http://hub\.test(/organiser/{word}/\S+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


def _admin_client(client: FlaskClient, make_account: Callable[..., Account]) -> FlaskClient:
    make_account("admin@example.org", admin=True)
    client.get("/?lang=en")
    assert login(client, "admin@example.org").status_code == 302
    return client


def test_an_admin_invites_an_organiser_who_sets_a_password_once(
    client: FlaskClient, app: Any, programme: Any, make_account: Callable[..., Account]
) -> None:
    admin = _admin_client(client, make_account)
    organisers = admin.get("/organiser/accounts").text
    occ_id = re.search(r'<option value="(\d+)">Oslo Cancer Cluster</option>', organisers)
    assert occ_id
    response = admin.post(
        "/organiser/accounts", data={"email": "New.Person@Example.org", "organisers": [occ_id.group(1)]}
    )
    assert response.status_code == 302
    page = admin.get("/organiser/accounts").text
    assert "Invitation sent to new.person@example.org." in page
    assert "new.person@example.org" in page
    assert "invited" in page

    mail = _mail_to("new.person@example.org", "account_invite")
    assert "Oslo Cancer Cluster" in mail.body_text
    link = _link(mail, "invite")
    admin.post("/organiser/logout")

    # The invited person: the page asks for a password; it cannot log in before.
    assert login(client, "new.person@example.org").status_code == 200
    page = client.get(link)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert "new.person@example.org" in page.text
    weak = client.post(link, data={"password": "password1234", "repeat": "password1234"})
    assert "most common" in weak.text
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"})
    assert "The two passwords are not the same." in mismatch.text

    done = client.post(link, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/organiser/login")
    assert login(client, "new.person@example.org", NEW_PASSWORD).status_code == 302
    assert "Fremtidens kreftbehandling" in client.get("/organiser/").text
    client.post("/organiser/logout")

    # Single use: the same link does nothing any more.
    again = client.get(link)
    assert again.status_code == 410
    assert "used already" in again.text
    assert (
        client.post(
            link, data={"password": "another long passphrase", "repeat": "another long passphrase"}
        ).status_code
        == 410
    )


def test_an_invitation_for_an_existing_address_is_refused_next_to_the_field(
    client: FlaskClient, programme: Any, make_account: Callable[..., Account]
) -> None:
    admin = _admin_client(client, make_account)
    make_account("occ@example.org", "Oslo Cancer Cluster")
    page = admin.post("/organiser/accounts", data={"email": "occ@example.org", "admin": "y"})
    assert page.status_code == 200
    assert 'id="email-error"' in page.text
    assert "There is already an account with this address." in page.text
    nobody = admin.post("/organiser/accounts", data={"email": "x@example.org"})
    assert "Choose at least one organiser" in nobody.text


def test_an_old_invitation_has_expired(app: Any, client: FlaskClient, programme: Any) -> None:
    from hub.mail.compose import Links
    from hub.organiser import invitations
    from hub.timeutil import utcnow

    account = invitations.invite(
        db.session, "late@example.org", [], admin=True, links=Links.from_app(), now=utcnow()
    )
    db.session.commit()

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 24 * 3600

    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="hub.account.invite", signer=EightDaysAgo)
    old = signer.dumps([account.id, invitations._password_print(account)])
    page = client.get(f"/organiser/invite/{old}?lang=en")
    assert page.status_code == 410
    assert "The link is too old." in page.text


def test_password_reset_answers_the_same_and_ends_old_sessions(
    app: Any, programme: Any, make_account: Callable[..., Account], occ_client: FlaskClient
) -> None:
    other = app.test_client()
    other.get("/?lang=en")
    known = other.post("/organiser/reset", data={"email": "OCC@example.org"})
    unknown = other.post("/organiser/reset", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "If this address has an organiser account" in known.text
    assert (
        db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "nobody@example.org"))
        is None
    )
    # A second request within the hour sends no second mail.
    other.post("/organiser/reset", data={"email": "occ@example.org"})
    link = _link(_mail_to("occ@example.org", "account_reset"), "reset")

    assert other.post(link, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}).status_code == 302
    # The session opened before the reset is over; the old password no longer works.
    assert occ_client.get("/organiser/").status_code == 302
    assert login(other, "occ@example.org").status_code == 200
    assert login(other, "occ@example.org", NEW_PASSWORD).status_code == 302
    assert app.test_client().get(link).status_code == 410


def test_the_admin_lists_accounts_and_a_disabled_account_is_refused(
    app: Any, programme: Any, make_account: Callable[..., Account], occ_client: FlaskClient, occ: Account
) -> None:
    # An ordinary organiser may not see or change accounts.
    assert occ_client.get("/organiser/accounts").status_code == 403
    assert occ_client.post(f"/organiser/accounts/{occ.id}/active", data={"active": "0"}).status_code == 403

    admin = _admin_client(app.test_client(), make_account)
    page = admin.get("/organiser/accounts").text
    card = page[page.index(f'id="account-{occ.id}"') :]
    card = card[: card.index("</li>")]
    assert "occ@example.org" in card
    assert "Oslo Cancer Cluster" in card
    assert "active" in card
    assert "Last login" in card
    assert "never" not in card

    assert occ_client.get("/organiser/").status_code == 200
    admin.post(f"/organiser/accounts/{occ.id}/active", data={"active": "0"})
    assert "is disabled and logged out everywhere" in admin.get("/organiser/accounts").text
    assert occ_client.get("/organiser/").status_code == 302  # the open session is refused
    assert login(app.test_client(), "occ@example.org").status_code == 200  # and no new one
    # No reset link for a disabled account either.
    app.test_client().post("/organiser/reset", data={"email": "occ@example.org"})
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_reset")) is None

    admin.post(f"/organiser/accounts/{occ.id}/active", data={"active": "1"})
    assert login(app.test_client(), "occ@example.org").status_code == 302
