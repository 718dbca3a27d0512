"""Abuse: a stranger cannot rewrite a pending sign-up, an old link does nothing to a later
sign-up of the same address, and identical sign-ups at once make one row and one mail."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import OutboxMessage, Registration, RegistrationStatus
from tests.factories import make_event
from tests.registration.conftest import outbox
from tests.registration.test_concurrency import run_together

ADA = "ada@example.org"


def post_sign_up(client: FlaskClient, **fields: str) -> int:
    data = {"name": "Ada Lovelace", "email": ADA, "attendance": "in_person", "consent": "y", **fields}
    return client.post("/events/test-event/register", data=data).status_code


def path(url: str | None) -> str:
    assert url is not None
    return url.removeprefix("http://hub.test")


def the_registration() -> Registration:
    db.session.expire_all()
    found = db.session.scalar(select(Registration).where(Registration.email == ADA))
    assert found is not None
    return found


def test_a_strangers_repeat_sign_up_does_not_rewrite_the_pending_one(client: FlaskClient) -> None:
    make_event(capacity=5)
    assert post_sign_up(client, organisation="Oslo Cancer Cluster") == 302
    assert post_sign_up(client, name="Mallory", organisation="<script>x</script>") == 302
    (mail,) = outbox("confirm")  # the repeat in the same hour is the first mail
    client.post(path(mail.action_url))  # the real person confirms from their own mail
    registration = the_registration()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert (registration.name, registration.organisation) == ("Ada Lovelace", "Oslo Cancer Cluster")
    assert all("Mallory" not in m.body_text for m in outbox())


def test_an_old_cancel_link_does_nothing_to_a_later_sign_up(client: FlaskClient) -> None:
    make_event(capacity=5)
    post_sign_up(client)
    client.post(path(outbox("confirm")[0].action_url))
    old_cancel = path(outbox("confirmed")[0].action_url)
    old_me = next(m for m in outbox("confirmed")[0].body_text.split() if "/me/" in m)
    assert client.post(old_cancel).status_code == 302
    assert the_registration().status == RegistrationStatus.CANCELLED

    # Sign up again and confirm: a new generation of the same row.
    post_sign_up(client)
    client.post(path(outbox("confirm")[-1].action_url))
    assert the_registration().status == RegistrationStatus.CONFIRMED
    assert the_registration().generation == 1

    for method in (client.get, client.post):
        response = method(old_cancel + "?lang=en")
        assert response.status_code == 400
        assert "This link does not work" in response.text
    assert client.get(path(old_me)).status_code == 400  # the old "my sign-ups" link too
    assert the_registration().status == RegistrationStatus.CONFIRMED
    # The new cancel link works.
    assert client.post(path(outbox("confirmed")[-1].action_url)).status_code == 302
    assert the_registration().status == RegistrationStatus.CANCELLED


def test_five_identical_sign_ups_at_once_make_one_row_and_one_mail(app: Flask) -> None:
    make_event(capacity=5)
    data = {"name": "Ada", "email": ADA, "attendance": "in_person", "consent": "y"}

    def sign_up(_i: int) -> Any:
        response = app.test_client().post("/events/test-event/register", data=data)
        return response.status_code, response.headers.get("Location")

    results = run_together(app, 5, sign_up)
    assert results == [(302, "/events/test-event/register/sent")] * 5  # identical answers
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
