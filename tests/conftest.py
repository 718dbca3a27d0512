"""Shared fixtures: a fresh app and database per test, on SQLite or PostgreSQL.

Set HUB_TEST_DATABASE_URI (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
suite against PostgreSQL; without it every test gets its own SQLite file.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event

from hub import create_app
from hub.extensions import db as _db
from hub.programme.importer import import_programme, read_programme_file

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "hub" / "data" / "arendalsuka-2023.json"
TEST_DATABASE_URI = os.environ.get("HUB_TEST_DATABASE_URI")


def on_postgres() -> bool:
    return bool(TEST_DATABASE_URI and TEST_DATABASE_URI.startswith("postgresql"))


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves the machine (Indico's disallow_emails, widened)."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (to show there is no N+1)."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)


def make_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URI or f"sqlite:///{tmp_path / 'hub.sqlite'}",
        "MAIL_SINK_DIR": str(tmp_path / "mail"),
        "BASE_URL": "http://hub.test",
        "RATELIMIT_ENABLED": False,
        # Inline mail goes when a test closes the response, so a test sees it at once; the
        # background thread that production uses is tested in tests/mail/test_inline_delivery.py.
        "MAIL_INLINE_THREAD": False,
        # A send slower than MAIL_INLINE_TIMEOUT pauses inline mail in the process (the breaker);
        # on a loaded test machine 0.5 s is too tight for a real SMTP round trip. The tests of the
        # timeout and the breaker set their own values.
        "MAIL_INLINE_TIMEOUT": 10,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's configuration."""
    return make_config(tmp_path)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    The test body keeps the app context the ``app`` fixture pushed; without this, requests
    would share its ``g`` (cached locale, logged-in user) and its database session. After a
    request the test's session is expired, so objects the test holds show what was stored.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()
        return response


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def programme(app: Flask) -> dict[str, Any]:
    """The shipped Arendalsuka 2023 programme, loaded; returns the file's data."""
    data = read_programme_file(SHIPPED)
    import_programme(_db.session, data)
    _db.session.commit()
    return data


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every envelope and message.

    Point the app at it with MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port.
    """
    from tests.smtp import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """The argon2id hash of PASSWORD, made once for the whole run (hashing is slow on purpose)."""
    from hub.organiser.accounts import hash_password

    return hash_password(PASSWORD)
