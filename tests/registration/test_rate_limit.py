"""Sign-up is rate-limited per client, with a clear page; in production the counts live in Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from tests.conftest import make_config
from tests.factories import make_event

REDIS_URI = "redis://127.0.0.1:6379"
# The client address the limit is keyed on: unique per run, so the Redis keys are ours alone.
_RUN = uuid.uuid4().int
CLIENT = f"127.{_RUN % 250}.{_RUN // 250 % 250}.1"
OTHER = f"127.{_RUN % 250}.{_RUN // 250 % 250}.2"


@pytest.fixture(params=["memory", "redis"])
def app_config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    storage = "memory://" if request.param == "memory" else REDIS_URI
    yield make_config(
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGNUP="3 per minute",
        RATELIMIT_STORAGE_URI=storage,
    )
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URI)
        for address in (CLIENT, OTHER):
            for key in client.scan_iter(f"*/{address}/*"):
                client.delete(key)


def post(client: FlaskClient, i: int, address: str = CLIENT) -> Any:
    data = {"name": "Ada", "email": f"ada{i}@example.org", "consent": "y"}
    return client.post(
        "/events/test-event/register?lang=en", data=data, environ_base={"REMOTE_ADDR": address}
    )


def test_too_many_sign_ups_from_one_client_get_a_clear_page(
    client: FlaskClient, app_config: dict[str, Any], app: Any
) -> None:
    make_event()
    assert [post(client, i).status_code for i in range(3)] == [302, 302, 302]
    response = post(client, 3)
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert "Please wait a few minutes and try again." in response.text
    assert response.headers["Retry-After"]
    # Another client is not affected; reading the event page is not limited.
    assert post(client, 4, address=OTHER).status_code == 302
    assert client.get("/events/test-event").status_code == 200
    # Asking for the "my sign-ups" link shares nothing with sign-up but has its own limit.
    answers = [
        client.post(
            "/me?lang=en",
            data={"email": "ada0@example.org"},
            environ_base={"REMOTE_ADDR": CLIENT},
        ).status_code
        for _ in range(4)
    ]
    assert answers == [302, 302, 302, 429]

    if app_config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        keys = {k.decode() for k in redis.Redis.from_url(REDIS_URI).scan_iter(f"*/{CLIENT}/*")}
        assert {k.split("/")[-4] for k in keys} == {"registration.register", "registration.me"}


def test_too_many_sign_ups_for_one_address_are_refused_from_any_client(
    client: FlaskClient, app: Any, app_config: dict[str, Any]
) -> None:
    app.config["RATELIMIT_SIGNUP_ADDRESS"] = "3 per minute"
    for n in range(5):
        make_event(f"event-{n}")
    address = f"target-{uuid.uuid4().hex[:8]}@example.org"
    # Client addresses of this run only (Redis keeps counts between runs).
    ips = [f"127.{_RUN % 250}.{_RUN // 250 % 250}.{10 + n}" for n in range(6)]

    def sign_up(n: int, ip: str, email: str = address) -> Any:
        data = {"name": "Ada", "email": email, "consent": "y"}
        return client.post(
            f"/events/event-{n}/register?lang=en",
            data=data,
            environ_base={"REMOTE_ADDR": ip},
            headers={"X-Forwarded-For": f"10.0.0.{n}"},  # ignored: no proxy is trusted here
        )

    # Four clients, one address: the fourth sign-up for that address in a minute is refused.
    assert [sign_up(n, ips[n]).status_code for n in range(4)] == [302, 302, 302, 429]
    assert sign_up(4, ips[4]).headers["Retry-After"]
    # Another address from a client that signed up before goes through.
    assert sign_up(4, ips[0], email=f"other-{uuid.uuid4().hex[:8]}@example.org").status_code == 302
