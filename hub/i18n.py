"""Interface language (Flask-Babel) and the date and time filters for templates.

The language is chosen by ``?lang=`` (remembered in the session), then by the browser's
Accept-Language, then the default (Norwegian bokmål). Event content keeps its own language.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale

from hub.extensions import babel
from hub.timeutil import local

LANGUAGE_NAMES = {"nb": "Norsk", "en": "English"}


def select_locale() -> str | None:
    if not has_request_context():
        return None  # CLI and worker: the default locale (mail uses force_locale)
    languages: list[str] = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in languages:
        return str(remembered)
    # Browsers say "no" or "nn" as often as "nb" for Norwegian.
    best = request.accept_languages.best_match([*languages, "no", "nn"])
    if best in ("no", "nn"):
        return "nb"
    return best


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def lang_url(code: str) -> str:
    """The current page in another interface language (a plain, bookmarkable link).

    Built from the path and the query as they came, never through url_for: a query key such
    as ``endpoint`` or ``_external`` must not steer the link or break the page.
    """
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return request.script_root + quote(request.path) + "?" + urlencode([*args, ("lang", code)])


def time_of(value: datetime) -> str:
    """24-hour local time, the same in both languages (cheap: the programme shows hundreds)."""
    return local(value).strftime("%H:%M")


def day_name(value: datetime | date) -> str:
    """E.g. "tirsdag 15. august 2023" / "Tuesday 15 August 2023"."""
    day = local(value).date() if isinstance(value, datetime) else value
    return str(format_date(day, "EEEE d. MMMM y" if current_language() == "nb" else "EEEE d MMMM y"))


def short_day(value: datetime | date) -> str:
    day = local(value).date() if isinstance(value, datetime) else value
    return str(format_date(day, "EEE d. MMM" if current_language() == "nb" else "EEE d MMM"))


def datetime_full(value: datetime) -> str:
    return str(format_datetime(local(value), "medium"))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(app.root_path) / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(time=time_of, day=day_name, short_day=short_day, datetime_full=datetime_full)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _language_context() -> dict[str, Any]:
        return {
            "current_language": current_language,
            "lang_url": lang_url,
            "language_names": LANGUAGE_NAMES,
        }
