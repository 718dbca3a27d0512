"""Password rules (OWASP ASVS 5, V6) for the CLI and the web alike, and the stored hashes."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from hub import timeutil
from hub.extensions import db
from hub.models import Account
from hub.organiser import accounts
from tests.organiser.conftest import login

UNICODE_128 = ("Blåbærsyltetøy på lørdag, ĳsbjørn 🐻‍❄️ i Tromsø, Ωμέγα и Ёлка, 東京の夜 " * 3)[:128]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("seven77", "at least 12"),
        ("elevenchars", "at least 12"),
        ("qwerty123456", "most common"),  # in the top 3,000 and 12 long
        ("1q2w3e4r5t6y", "most common"),
        ("LeaveMeAlone", "most common"),  # the list is compared without case
        ("occ@example.org", "email address"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(accounts.PasswordRejected) as refused:
        accounts.check_password_rules(password, "occ@example.org")
    assert reason in str(refused.value.message)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "a" * 64, "12 tegn æøå!", UNICODE_128, "x" * 1024],
    ids=["passphrase", "64-chars", "12-unicode", "128-unicode", "1024-chars"],
)
def test_long_and_unicode_passwords_are_accepted(password: str) -> None:
    accounts.check_password_rules(password, "occ@example.org")


def test_a_128_character_unicode_password_set_on_the_command_line_logs_in(
    runner: Any, client: FlaskClient, programme: Any
) -> None:
    assert len(UNICODE_128) == 128
    result = runner.invoke(
        args=["hub", "create-organiser", "uni@example.org", "--admin"], input=UNICODE_128 + "\n"
    )
    assert result.exit_code == 0, result.output
    assert login(client, "uni@example.org", UNICODE_128).status_code == 302
    assert client.get("/organiser/").status_code == 200


def test_a_password_of_1024_characters_from_the_cli_logs_in(
    runner: Any, client: FlaskClient, programme: Any
) -> None:
    password = "lang passfrase " * 68 + "slutt"
    password = password[:1024]
    result = runner.invoke(
        args=["hub", "create-organiser", "long@example.org", "--admin"], input=password + "\n"
    )
    assert result.exit_code == 0, result.output
    assert login(client, "long@example.org", password).status_code == 302


def test_hashes_are_argon2id_with_asvs_parameters(occ: Account) -> None:
    params = dict(part.split("=") for part in occ.password_hash.split("$")[3].split(","))
    assert occ.password_hash.startswith("$argon2id$")
    # ASVS 5 App. C / OWASP: at least m=19 MiB, t=2, p=1.
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
    assert int(params["p"]) >= 1


def test_an_older_hash_is_replaced_at_the_next_login(client: FlaskClient, occ: Account) -> None:
    occ.password_hash = generate_password_hash("correct horse battery", method="scrypt:32768:8:1")
    db.session.commit()
    assert login(client, occ.email).status_code == 302
    db.session.refresh(occ)
    assert occ.password_hash.startswith("$argon2id$")
    assert accounts.verify_password(occ, "correct horse battery")


def test_a_new_password_must_follow_the_rules_too(occ: Account) -> None:
    with pytest.raises(accounts.PasswordRejected):
        accounts.set_password(db.session, occ, "password1234", now=timeutil.utcnow())
