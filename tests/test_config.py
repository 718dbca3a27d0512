"""Configuration precedence: defaults < instance/config.py < HUB_* variables < test_config."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import create_app
from hub.config import ConfigError
from tests.conftest import ROOT


@pytest.fixture
def instance_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the factory at a throw-away instance folder."""
    import hub

    monkeypatch.setattr(hub, "ROOT", tmp_path)
    (tmp_path / "instance").mkdir()
    return tmp_path / "instance"


def test_defaults_need_no_configuration(instance_dir: Path) -> None:
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_dir / 'hub.sqlite'}"
    assert app.config["MAIL_SERVER"] is None
    assert app.config["REMINDER_OFFSETS"] == "24h,1h"
    # A secret is generated once, kept in instance/, and reused on the next start.
    secret = app.config["SECRET_KEY"]
    assert len(secret) > 40
    assert (instance_dir / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app().config["SECRET_KEY"] == secret


def test_precedence(instance_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (instance_dir / "config.py").write_text(
        "BASE_URL = 'https://from-instance.example'\nMAIL_SERVER = 'smtp.instance'\nMAIL_PORT = 2525\n"
    )
    assert create_app().config["BASE_URL"] == "https://from-instance.example"

    monkeypatch.setenv("HUB_MAIL_SERVER", "smtp.env")
    monkeypatch.setenv("HUB_MAIL_PORT", "587")
    monkeypatch.setenv("HUB_MAIL_USE_TLS", "true")
    app = create_app()
    assert app.config["MAIL_SERVER"] == "smtp.env"
    assert app.config["MAIL_PORT"] == 587
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["BASE_URL"] == "https://from-instance.example"

    app = create_app({"MAIL_SERVER": "smtp.test"})
    assert app.config["MAIL_SERVER"] == "smtp.test"


def test_postgres_uri_gets_the_shipped_driver(instance_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_SQLALCHEMY_DATABASE_URI", "postgresql://hub@db.example/hub")
    monkeypatch.setenv("HUB_SECRET_KEY", "shared-by-every-instance")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://hub@db.example/hub"


def test_a_shared_database_needs_a_shared_secret(instance_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_SQLALCHEMY_DATABASE_URI", "postgresql://hub@db.example/hub")
    with pytest.raises(ConfigError, match="HUB_SECRET_KEY must be set"):
        create_app()
    assert not (instance_dir / "secret_key").exists()


def test_the_wsgi_entry_point_names_the_missing_setting(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "HUB_SQLALCHEMY_DATABASE_URI": "postgresql://hub@127.0.0.1:1/hub"}
    env.pop("HUB_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("hub: HUB_SECRET_KEY must be set")
    assert "Traceback" not in result.stderr


def test_proxies_are_trusted_only_when_configured(instance_dir: Path) -> None:
    app = create_app({"PROXY_FIX_X_FOR": 1, "SECRET_KEY": "x"})

    @app.get("/whoami")
    def whoami() -> str:
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    assert app.test_client().get("/whoami", headers=headers).text == "203.0.113.7 https"
    plain = create_app({"SECRET_KEY": "x"})
    plain.add_url_rule("/whoami", view_func=whoami)
    assert plain.test_client().get("/whoami", headers=headers).text == "127.0.0.1 http"
