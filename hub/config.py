"""Configuration: defaults, then instance/config.py, then HUB_* variables, then test_config.

Nothing here reads the environment at import time; :func:`load_config` is called by the
factory.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config, Flask

from hub.timeutil import parse_duration

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # None: generated once and kept in instance/secret_key
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite file in the instance folder
    # hide_parameters: a database error never carries what a visitor typed into the log.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "MAIL_SERVER": None,  # None: mail goes to .eml files under instance/mail/
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Arendalsuka hub <noreply@localhost>",
    "MAIL_TIMEOUT": 10,
    "MAIL_INLINE_DELIVERY": True,  # a request's mail is sent at once (else the worker sends it)
    # True: by a background thread of the process; False: by the request's worker after the
    # response is closed (costs that worker up to MAIL_INLINE_TIMEOUT when the server stalls).
    "MAIL_INLINE_THREAD": True,
    # SMTP timeout (connect, banner, each answer) when a request sends the mail it just queued;
    # a failed or slower send pauses inline delivery in that process for MAIL_INLINE_PAUSE s.
    "MAIL_INLINE_TIMEOUT": 0.5,
    "MAIL_INLINE_PAUSE": 60,
    "MAIL_MAX_ATTEMPTS": 15,  # then a mail is given up (backoff 1 min doubling, at most 6 h)
    "YOUTUBE_API_KEY": None,
    "YOUTUBE_CHANNEL": None,  # None: the festival's channel from the programme file
    "YOUTUBE_API_ENDPOINT": None,  # None: the real API
    "YOUTUBE_DAILY_BUDGET": 2000,  # quota units the hub may spend a day (YouTube gives 10,000)
    "BASE_URL": "http://127.0.0.1:5000",
    "REMINDER_OFFSETS": "24h,1h",
    "CONFIRM_TOKEN_MAX_AGE": 7 * 24 * 3600,
    "CANCEL_TOKEN_MAX_AGE": 120 * 24 * 3600,
    "ME_TOKEN_MAX_AGE": 30 * 24 * 3600,  # the "my sign-ups" link in every mail to an attendee
    "ME_LINK_INTERVAL": 15 * 60,  # at most one "my sign-ups" mail per address in this many seconds
    "MAIL_CAP_PER_HOUR": 5,  # mails to one address an hour after which sign-ups mail it no more
    # Personal data of a sign-up is erased this many days after its event ends (flask hub purge).
    "RETENTION_DAYS": 30,
    "PURGE_INTERVAL": 24 * 3600,  # how often the worker runs the purge
    "WATCH_TOKEN_MAX_AGE": 120 * 24 * 3600,  # the personal watch link, the recording included
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_SIGNUP": "10 per minute;50 per hour",  # per client address
    # Per email address typed into the sign-up form, whoever types it (many events, one person).
    "RATELIMIT_SIGNUP_ADDRESS": "10 per minute;60 per hour",
    "RATELIMIT_LOGIN": "10 per minute;50 per hour",  # per client address
    # Organiser sessions end after this long without a request, and this long after login.
    "ORGANISER_SESSION_IDLE": "2h",
    "ORGANISER_SESSION_LIFETIME": "12h",
    # The failed login that locks an address, and the first lock (doubling, at most a day).
    "LOGIN_LOCK_AFTER": 5,
    "LOGIN_LOCK_BASE": "5m",
    # Mails an organiser may send to one event's attendees in an hour.
    "ATTENDEE_MAIL_PER_HOUR": 3,
    # A QR ticket's check-in link works this many seconds (through the festival and after).
    "CHECKIN_TOKEN_MAX_AGE": 400 * 24 * 3600,
    "RATELIMIT_HEADERS_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "nb",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
    "LANGUAGES": ["nb", "en"],
    "PROGRAMME_FILE": None,  # None: hub/data/arendalsuka-2023.json
    "WORKER_INTERVAL": 60,
    # The worker's YouTube sync: every YOUTUBE_SYNC_FAST_INTERVAL seconds from 15 minutes before a
    # streamed event until its broadcast ends, else every YOUTUBE_SYNC_INTERVAL seconds; both
    # stretched when the day's YOUTUBE_DAILY_BUDGET would not last until midnight Pacific time.
    "YOUTUBE_SYNC_INTERVAL": 3600,
    "YOUTUBE_SYNC_FAST_INTERVAL": 120,
    "YOUTUBE_API_TIMEOUT": 10,  # seconds to wait for an answer from the API
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Behind a load balancer or reverse proxy: how many proxies set X-Forwarded-For/-Proto.
    # 0 trusts none (rate limits would otherwise count every visitor as the proxy).
    "PROXY_FIX_X_FOR": 0,
    # Public pages cached under the data version (hub/cache.py).
    "CACHE_ENABLED": True,
    "CACHE_MAX_AGE": 30,  # seconds a browser or CDN may reuse a public page without asking
    "CACHE_VERSION_TTL": 1.0,  # seconds a process trusts its copy of the data version
    "CACHE_MAX_ENTRIES": 2000,  # rendered responses kept per process
    "PUBLIC_FORM_MAX_AGE": 12 * 3600,  # seconds a sign-up form's token stays valid
}


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` in order of precedence and derive what is left unset."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("HUB")
    if test_config is not None:
        app.config.from_mapping(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'hub.sqlite'}"
    if not app.config["SECRET_KEY"]:
        if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite") and not app.testing:
            # Several instances share this database: a key generated per instance folder would
            # break every emailed link and session as soon as a request reaches another one.
            raise ConfigError(
                "HUB_SECRET_KEY must be set when the database is not SQLite: every web and worker "
                "process must share one key (make one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if str(app.config["BASE_URL"]).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True  # and per request on https: hub.security
    if not app.config["PROGRAMME_FILE"]:
        app.config["PROGRAMME_FILE"] = str(Path(app.root_path) / "data" / "arendalsuka-2023.json")
    app.config["MAIL_SINK_DIR"] = app.config.get("MAIL_SINK_DIR") or str(instance / "mail")
    # Flask-Mail suppresses sending in testing by default; we test against a real server.
    app.config.setdefault("MAIL_SUPPRESS_SEND", False)
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    check_settings(app.config)


def _setting(name: str, problem: str) -> ConfigError:
    return ConfigError(f"HUB_{name} {problem}")


def _duration(config: Config, name: str) -> timedelta:
    value = config[name]
    if isinstance(value, timedelta):
        return value
    try:
        duration = parse_duration(str(value))
    except ValueError:
        raise _setting(name, f"is not a duration: {value!r} (use e.g. 2h, 90m, 1d)") from None
    if duration <= timedelta(0):
        raise _setting(name, "must be longer than zero")
    return duration


def _whole_number(config: Config, name: str, minimum: int) -> int:
    value = config[name]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise _setting(name, f"must be a whole number, not {value!r}")
    if int(value) < minimum:
        raise _setting(name, f"must be at least {minimum}, not {value!r}")
    return int(value)


def check_settings(config: Config) -> None:
    """Check the settings that have a syntax once, at start-up; one line names a bad one.

    Durations become ``timedelta`` objects; the others keep their form for the code that
    reads them, which can then trust them.
    """
    from limits import parse_many

    from hub.mail.reminders import parse_offsets

    for name in ("ORGANISER_SESSION_IDLE", "ORGANISER_SESSION_LIFETIME", "LOGIN_LOCK_BASE"):
        config[name] = _duration(config, name)
    config["LOGIN_LOCK_AFTER"] = _whole_number(config, "LOGIN_LOCK_AFTER", 1)
    config["YOUTUBE_DAILY_BUDGET"] = _whole_number(config, "YOUTUBE_DAILY_BUDGET", 0)
    config["RETENTION_DAYS"] = _whole_number(config, "RETENTION_DAYS", 0)
    config["MAIL_CAP_PER_HOUR"] = _whole_number(config, "MAIL_CAP_PER_HOUR", 1)
    for name in ("ME_LINK_INTERVAL", "ME_TOKEN_MAX_AGE", "PURGE_INTERVAL"):  # seconds
        config[name] = _whole_number(config, name, 1)
    config["ATTENDEE_MAIL_PER_HOUR"] = _whole_number(config, "ATTENDEE_MAIL_PER_HOUR", 1)
    try:
        parse_offsets(str(config["REMINDER_OFFSETS"]))
    except ValueError as exc:
        raise _setting("REMINDER_OFFSETS", f"is not valid: {exc}") from None
    for name in ("RATELIMIT_SIGNUP", "RATELIMIT_SIGNUP_ADDRESS", "RATELIMIT_LOGIN"):
        try:
            parse_many(str(config[name]))
        except ValueError:
            raise _setting(
                name, f"is not a rate limit: {config[name]!r} (use e.g. 10 per minute;50 per hour)"
            ) from None


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, creating it once with 0600 permissions."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key
