"""What every request and response passes through: headers, cookies, origin and input checks.

* Headers on every response, error pages included: a strict CSP (scripts and styles from
  this site only; frames only from YouTube's no-cookie host; ``base-uri``/``object-src``
  ``'none'``), HSTS, ``nosniff``, the referrer policy YouTube's player needs.
* The session cookie is ``Secure`` and named with the ``__Host-`` prefix whenever the hub is
  reached over https (an https ``BASE_URL``, or ``X-Forwarded-Proto: https`` behind
  ``PROXY_FIX_X_FOR``), and always ``HttpOnly`` and ``SameSite=Lax``.
* A state-changing request from another site is refused (400) by its ``Origin`` header, or
  ``Sec-Fetch-Site`` when a browser sends no origin; this is on top of the CSRF token.
* A control character in the path or the query, or a NUL in a form field, is a 400 before
  any view or database sees it.
* Pages with personal data are marked with :func:`personal` and sent ``no-store``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        # The YouTube player is loaded from youtube-nocookie.com only after a click.
        "frame-src https://www.youtube-nocookie.com",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Embeds need the referrer's origin (YouTube error 153 without it).
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Browsers heed it on https only; sent always, so no response forgets it.
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}

SESSION_COOKIE = "hub_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# C0 controls and DEL never belong in a path or a query. In a form field only NUL is refused
# here (no database stores it); the forms' own validators explain any other to the person.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

View = TypeVar("View", bound=Callable[..., Any])


def served_over_https() -> bool:
    """Whether this request reached the hub over https (directly, through a trusted proxy, or
    by configuration: an https ``BASE_URL`` means the public face is https)."""
    return request.is_secure or str(current_app.config["BASE_URL"]).startswith("https://")


class HubSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, its name and flags chosen per request (http or https)."""

    def get_cookie_name(self, app: Flask) -> str:
        return f"__Host-{SESSION_COOKIE}" if served_over_https() else SESSION_COOKIE

    def get_cookie_secure(self, app: Flask) -> bool:
        return served_over_https()

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None  # __Host- cookies must not name a domain

    def get_cookie_path(self, app: Flask) -> str:
        return "/"

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Lax"


def personal(view: View) -> View:
    """Mark a view whose page shows personal data: browsers and proxies must not keep it."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.personal_data = True
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _own_origins() -> set[str]:
    own = {request.host.lower()}
    base = urlsplit(str(current_app.config["BASE_URL"]))
    if base.netloc:
        own.add(base.netloc.lower())
    return own


def cross_site(req: Request) -> bool:
    """Whether a browser says this request comes from another site."""
    origin = req.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        return (
            origin == "null"
            or parts.scheme not in ("http", "https")
            or parts.netloc.lower() not in _own_origins()
        )
    fetch_site = req.headers.get("Sec-Fetch-Site")
    return fetch_site is not None and fetch_site not in ("same-origin", "none")


def has_control_characters(req: Request) -> bool:
    if _CONTROL.search(req.path):
        return True
    for key, value in req.args.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            return True
    if req.method in UNSAFE_METHODS and req.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, value in req.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return True
    return False


def init_app(app: Flask) -> None:
    app.session_interface = HubSessionInterface()

    @app.before_request
    def _check_request() -> None:
        if has_control_characters(request):
            abort(
                400, description=_("The address or the form holds control characters, which cannot be used.")
            )
        if request.method in UNSAFE_METHODS and cross_site(request):
            abort(400, description=_("This form was sent from another website, so it was refused."))

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if g.get("personal_data"):
            response.headers["Cache-Control"] = "no-store, private"
        return response
