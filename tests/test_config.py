"""Configuration precedence: defaults < instance/config.py < HUB_* variables < test_config."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import create_app


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
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://hub@db.example/hub"
