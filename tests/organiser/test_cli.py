"""`flask hub create-organiser`: the password from stdin, one-line errors, then a working login."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.models import Account
from hub.organiser.accounts import verify_password
from tests.organiser.conftest import login


def test_create_organiser_then_log_in(runner: FlaskCliRunner, client: FlaskClient, programme: Any) -> None:
    result = runner.invoke(
        args=["hub", "create-organiser", "Ola@Example.org", "--organiser", "CONNECT"],
        input="a long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "created organiser account ola@example.org (CONNECT)" in result.output
    account = db.session.scalar(select(Account).where(Account.email == "ola@example.org"))
    assert account is not None
    assert [o.name for o in account.organisers] == ["CONNECT"]
    assert not account.is_admin
    assert login(client, "ola@example.org", "a long passphrase").status_code == 302
    page = client.get("/organiser/").get_data(as_text=True)
    assert 'data-event="persontilpasset-medisin-og-ressurskrisen"' in page
    assert page.count("<tr data-event=") == 1


def test_running_again_updates_the_account(runner: FlaskCliRunner, programme: Any) -> None:
    runner.invoke(
        args=["hub", "create-organiser", "a@example.org", "--organiser", "CONNECT"],
        input="first passphrase\n",
    )
    result = runner.invoke(
        args=["hub", "create-organiser", "a@example.org", "--admin"], input="second passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert "updated organiser account a@example.org (all events)" in result.output
    account = db.session.scalar(select(Account).where(Account.email == "a@example.org"))
    assert account is not None
    db.session.refresh(account)
    assert account.is_admin
    assert verify_password(account, "second passphrase")
    assert not verify_password(account, "first passphrase")


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (
            ["x@example.org", "--organiser", "Nobody Inc"],
            "long enough pass",
            "no organiser called 'Nobody Inc'",
        ),
        (["x@example.org", "--admin"], "elevenchars", "at least 12 characters"),
        (["x@example.org", "--admin"], "qwerty123456", "one of the most common"),
        (["x@example.org", "--admin"], "X@Example.org", "Do not use your email address"),
        (["not-an-email", "--admin"], "long enough pass", "is not an email address"),
        (["x@example.org"], "long enough pass", "name at least one --organiser, or give --admin"),
    ],
    ids=[
        "unknown-organiser",
        "short-password",
        "common-password",
        "email-as-password",
        "bad-email",
        "no-scope",
    ],
)
def test_bad_input_is_a_one_line_error(
    runner: FlaskCliRunner, programme: Any, args: list[str], password: str, message: str
) -> None:
    result = runner.invoke(args=["hub", "create-organiser", *args], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert db.session.scalar(select(Account)) is None
