"""Two gunicorn instances on one PostgreSQL and one Redis behave as one site.

Sign up on one and confirm on the other; a change made through one shows on the other (the
page caches agree through the data version in the database); the sign-up rate limit counts
across both (Redis). Runs whenever HUB_TEST_DATABASE_URI points at PostgreSQL.
"""

from __future__ import annotations

import html
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import select

from hub.extensions import db
from hub.models import Registration
from tests.conftest import ROOT, TEST_DATABASE_URI, on_postgres
from tests.factories import make_event
from tests.registration.conftest import outbox

pytestmark = pytest.mark.skipif(not on_postgres(), reason="needs HUB_TEST_DATABASE_URI=postgresql://...")

# Redis database 10 belongs to this test alone; it is emptied before the run.
REDIS_URI = os.environ.get("HUB_TEST_REDIS_URI", "redis://127.0.0.1:6379/10")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@pytest.fixture
def instances(app: Any, tmp_path: Path) -> Iterator[list[str]]:
    """Two independent gunicorn instances (own processes, own memory caches), one database."""
    redis.Redis.from_url(REDIS_URI).flushdb()
    env = {
        **os.environ,
        "HUB_SQLALCHEMY_DATABASE_URI": str(TEST_DATABASE_URI),
        "HUB_SECRET_KEY": "two-instances-shared-secret",
        "HUB_RATELIMIT_STORAGE_URI": REDIS_URI,
        "HUB_RATELIMIT_SIGNUP": "3 per minute",
        "HUB_MAIL_SINK_DIR": str(tmp_path / "mail"),
        "HUB_BASE_URL": "http://hub.test",
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "-w",
                    "1",
                    "-b",
                    f"127.0.0.1:{port}",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            wait_for(urls[-1] + "/healthz", process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        redis.Redis.from_url(REDIS_URI).flushdb()


def form_token(page: str) -> str:
    match = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)
    assert match is not None
    return html.unescape(match.group(1))


def sign_up(base: str, email: str) -> requests.Response:
    page = requests.get(f"{base}/events/test-event?lang=en", timeout=10)
    data = {
        "form_token": form_token(page.text),
        "name": "Ada Lovelace",
        "email": email,
        "attendance": "in_person",
        "consent": "y",
    }
    headers = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    return requests.post(
        f"{base}/events/test-event/register", data=data, headers=headers, allow_redirects=False, timeout=10
    )


def seats_left(base: str) -> str:
    page = requests.get(f"{base}/events/test-event", headers={"Accept-Language": "en"}, timeout=10).text
    match = re.search(r"(\d+) seats? left", page)
    assert match is not None
    return match.group(1)


def test_two_instances_share_sign_ups_pages_and_rate_limits(instances: list[str]) -> None:
    first, second = instances
    make_event(capacity=10)
    # Both instances have rendered (and cached) the event page.
    assert seats_left(first) == seats_left(second) == "10"

    # Sign up on the first, confirm on the second.
    assert sign_up(first, "ada@example.org").status_code == 302
    db.session.expire_all()
    (mail,) = outbox("confirm")
    assert mail.action_url is not None
    path = mail.action_url.removeprefix("http://hub.test")
    confirm_page = requests.get(second + path, timeout=10)
    assert confirm_page.status_code == 200
    confirmed = requests.post(
        second + path,
        data={"form_token": form_token(confirm_page.text)},
        headers={"Origin": second, "Sec-Fetch-Site": "same-origin"},
        allow_redirects=False,
        timeout=10,
    )
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Registration.status)) == "confirmed"

    # The change made through the second shows on the first, whose page was cached (≤ 2 s).
    deadline = time.monotonic() + 2.5
    while seats_left(first) != "9" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert seats_left(first) == "9"
    assert seats_left(second) == "9"

    # The rate limit (3 a minute) counts sign-ups on both instances together.
    assert sign_up(second, "bob@example.org").status_code == 302
    assert sign_up(first, "cy@example.org").status_code == 302
    assert sign_up(second, "di@example.org").status_code == 429
    assert sign_up(first, "ed@example.org").status_code == 429
