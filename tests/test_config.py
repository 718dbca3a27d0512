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


@pytest.mark.parametrize(
    ("argv", "environ", "workers"),
    [
        (["gunicorn", "-w", "4", "wsgi:app"], {}, 4),
        (["gunicorn", "--workers=3", "wsgi:app"], {}, 3),
        (["gunicorn", "-w2", "wsgi:app"], {}, 2),
        (["gunicorn", "wsgi:app"], {"WEB_CONCURRENCY": "5"}, 5),
        (["gunicorn", "wsgi:app"], {"GUNICORN_CMD_ARGS": "--workers 6"}, 6),
        (["gunicorn", "wsgi:app"], {}, 1),
    ],
)
def test_the_number_of_gunicorn_workers_is_read_from_its_arguments(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], environ: dict[str, str], workers: int
) -> None:
    import sys

    from hub import gunicorn_workers

    monkeypatch.setitem(sys.modules, "gunicorn", sys.modules.get("gunicorn") or object())
    assert gunicorn_workers(argv, environ) == workers
    monkeypatch.delitem(sys.modules, "gunicorn")
    assert gunicorn_workers(argv, environ) is None


def test_memory_rate_limits_under_several_workers_are_warned_about(
    instance_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "gunicorn", sys.modules.get("gunicorn") or object())
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-w", "4", "wsgi:app"])
    create_app()
    assert "memory:// with 4 gunicorn workers" in caplog.text
    caplog.clear()
    monkeypatch.setenv("HUB_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    create_app()
    assert "memory://" not in caplog.text


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REMINDER_OFFSETS", "soon", "HUB_REMINDER_OFFSETS is not valid"),
        ("YOUTUBE_DAILY_BUDGET", "lots", "HUB_YOUTUBE_DAILY_BUDGET must be a whole number"),
        ("ORGANISER_SESSION_IDLE", "2 hours", "HUB_ORGANISER_SESSION_IDLE is not a duration"),
        ("ORGANISER_SESSION_LIFETIME", "0h", "HUB_ORGANISER_SESSION_LIFETIME must be longer than zero"),
        ("RATELIMIT_SIGNUP", "lots per minute", "HUB_RATELIMIT_SIGNUP is not a rate limit"),
        ("LOGIN_LOCK_AFTER", "0", "HUB_LOGIN_LOCK_AFTER must be at least 1"),
    ],
)
def test_a_bad_setting_stops_the_app_with_one_line(
    instance_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    import os
    import subprocess
    import sys

    env = {"HUB_SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_dir / 'x.sqlite'}", f"HUB_{name}": value}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("hub: " + message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_retention_settings_are_checked_at_start(instance_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_RETENTION_DAYS", "14")
    assert create_app().config["RETENTION_DAYS"] == 14
    monkeypatch.setenv("HUB_RETENTION_DAYS", '"a month"')
    with pytest.raises(ConfigError, match="HUB_RETENTION_DAYS must be a whole number"):
        create_app()
    monkeypatch.delenv("HUB_RETENTION_DAYS")
    monkeypatch.setenv("HUB_ME_LINK_INTERVAL", "0")
    with pytest.raises(ConfigError, match="HUB_ME_LINK_INTERVAL must be at least 1"):
        create_app()
