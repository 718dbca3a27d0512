"""Public pages served from memory, under a data version that every write moves on.

Why: at festival scale the programme, the event pages and the whole-festival feeds cost tens
of milliseconds to a few seconds to build, and tens of thousands of visitors ask for the same
few hundred of them.

How:

- One counter, the *data version*, lives in the shared database (``data_version``, one row).
  A session hook notices every flushed change to programme, registration and livestream
  rows, and every bulk INSERT/UPDATE/DELETE statement on their tables, and bumps the counter
  once the transaction has committed. Nobody calls anything: a new write path (an organiser
  editing an event, a sign-up window closing early) is covered as soon as it writes through
  the session.
- A rendered public response is kept in this process's memory, keyed by the data version,
  the minute (pages show what is on now), the interface language and the URL. Every process
  reads the version from the database, at most every ``CACHE_VERSION_TTL`` seconds (default
  1; a write in this process is seen at once), so every worker and instance agrees within
  that time.
- Responses carry a strong ETag (a hash of the body) and ``Cache-Control: public`` with a
  short max-age, so browsers revalidate with ``If-None-Match`` (answered 304) and a CDN or
  shared cache may hold them. A visitor with a session cookie (an organiser, someone who
  picked a language or has a flashed message waiting) always gets a fresh, private page.

The bump happens after the commit, never inside the writer's transaction: a version row
updated inside every sign-up would serialise all writers on one row lock. A reader reads the
version before it reads the data, so a page is never cached under a version newer than its
data.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec

from flask import Flask, Response, current_app, make_response, request, session
from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from hub.extensions import db
from hub.models import (
    AgendaItem,
    DataVersion,
    Event,
    Festival,
    Livestream,
    Organiser,
    Registration,
    Venue,
)

P = ParamSpec("P")

# Rows whose change can change a public page or feed.
TRACKED_MODELS: tuple[type, ...] = (Event, AgendaItem, Festival, Venue, Organiser, Registration, Livestream)
TRACKED_TABLES = frozenset(
    {
        "events",
        "agenda_items",
        "festivals",
        "venues",
        "organisers",
        "event_organisers",
        "registrations",
        "livestreams",
    }
)
_DIRTY = "hub_data_changed"
_BUMPED = "hub_data_version"


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    mimetype: str
    etag: str
    headers: tuple[tuple[str, str], ...]


class ResponseCache:
    """A small LRU of rendered responses for one process (thread-safe)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], CachedResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> CachedResponse | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: CachedResponse) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class VersionMemo:
    """This process's copy of the data version, refreshed from the database when stale."""

    def __init__(self) -> None:
        self.value: int | None = None
        self.read_at = 0.0
        self._lock = threading.Lock()

    def current(self, engine: Engine, ttl: float) -> int:
        now = time.monotonic()
        if self.value is not None and now - self.read_at < ttl:
            return self.value
        try:
            with engine.connect() as conn:
                value = conn.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0
        except SQLAlchemyError:
            value = -1  # no table yet (before `flask hub init`): never cached across versions
        self.set(int(value), now)
        return int(value)

    def set(self, value: int, at: float | None = None) -> None:
        with self._lock:
            self.value, self.read_at = value, time.monotonic() if at is None else at


def bump_version(conn: Connection) -> int:
    """Move the shared data version on, inside the caller's transaction; return the new value."""
    moved = conn.execute(
        update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1)
    )
    if moved.rowcount == 0:
        conn.execute(insert(DataVersion).values(id=1, version=2))
    return int(conn.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0)


_memos: weakref.WeakKeyDictionary[Engine, VersionMemo] = weakref.WeakKeyDictionary()


def _memo_for(engine: Engine) -> VersionMemo:
    memo = _memos.get(engine)
    if memo is None:
        memo = _memos[engine] = VersionMemo()
    return memo


def data_version() -> int:
    return _memo_for(db.engine).current(db.engine, float(current_app.config["CACHE_VERSION_TTL"]))


# --- the session hooks: every write marks its session; the commit bumps the version ----------


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TRACKED_MODELS):
            session.info[_DIRTY] = True
            return


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in TRACKED_TABLES:
            state.session.info[_DIRTY] = True


def _before_commit(session: Session) -> None:
    """Bump the version as the last write of the transaction that changed public data.

    The row is locked last, just before COMMIT, so it cannot take part in a deadlock; it
    only orders the commits of concurrent writers. Readers see the new data and the new
    version at the same moment.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit would flush after this hook; its changes count too
    if session.info.pop(_DIRTY, False):
        session.info[_BUMPED] = (session.get_bind(), bump_version(session.connection()))


def _after_commit(session: Session) -> None:
    bumped = session.info.pop(_BUMPED, None)
    if bumped is not None:
        bind, value = bumped
        _memo_for(bind if isinstance(bind, Engine) else bind.engine).set(value)


def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)
    session.info.pop(_BUMPED, None)


_hooks_installed = False


def install_session_hooks() -> None:
    """Listen on every SQLAlchemy session (the app's, the worker's, the CLI's) once."""
    global _hooks_installed
    if _hooks_installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _hooks_installed = True


# --- the view decorator ------------------------------------------------------------------------


def _personal() -> bool:
    """A visitor with a session (or changing language, which starts one) gets a private page."""
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies or "lang" in request.args


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _cacheable() -> bool:
    config = current_app.config
    return bool(config["CACHE_ENABLED"]) and request.method in ("GET", "HEAD") and not _personal()


def _key() -> tuple[Any, ...]:
    from hub.i18n import select_locale

    return (
        data_version(),
        int(time.time() // 60),
        select_locale() or current_app.config["BABEL_DEFAULT_LOCALE"],
        request.path,
        request.query_string,
    )


def public_page(view: Callable[P, Any]) -> Callable[P, Response]:
    """Serve a public GET from the cache; see the module docstring.

    A hit is answered by :func:`_serve_cached` before any other request hook; this wrapper
    renders a miss and keeps it.
    """

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        if not _cacheable():
            response = make_response(view(*args, **kwargs))
            response.headers.setdefault("Cache-Control", "private, no-cache")
            return response
        key = _key()
        store: ResponseCache = current_app.extensions["hub_cache"]
        cached = store.get(key)
        if cached is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or session.modified or response.direct_passthrough:
                response.headers.setdefault("Cache-Control", "private, no-cache")
                return response
            body = response.get_data()
            cached = CachedResponse(
                body=body,
                mimetype=response.mimetype or "text/html",
                etag=_etag(body),
                headers=tuple(
                    (k, v)
                    for k, v in response.headers.items()
                    if k in ("Content-Disposition", "Content-Type")
                ),
            )
            store.put(key, cached)
        request.environ[_FRONT_KEY] = True  # the front cache may keep the finished response
        return _answer(cached, int(current_app.config["CACHE_MAX_AGE"]))

    wrapper.public_page = True  # type: ignore[attr-defined]
    return wrapper


def _serve_cached() -> Response | None:
    """The first request hook: a cached public page is answered before anything else runs
    (the rate limiter's bookkeeping alone costs more than the answer; public GETs have no limit)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or not getattr(view, "public_page", False) or not _cacheable():
        return None
    cached = current_app.extensions["hub_cache"].get(_key())
    if cached is None:
        return None
    request.environ[_FRONT_KEY] = True
    return _answer(cached, int(current_app.config["CACHE_MAX_AGE"]))


def _answer(cached: CachedResponse, max_age: int) -> Response:
    headers = {
        "ETag": f'"{cached.etag}"',
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Language, Cookie",
    }
    if cached.etag in request.if_none_match:
        return Response(status=304, headers=headers)
    response = Response(cached.body, mimetype=cached.mimetype, headers=dict(cached.headers))
    response.headers.update(headers)
    return response


_FRONT_KEY = "hub.cache.front"


class FrontCache:
    """WSGI middleware in front of Flask: a finished public response (with every header the
    app's hooks added) is answered again without entering Flask, while the data version, the
    minute, the Accept-Language header and the URL are the same. Requests with a cookie, and
    everything that is not a plain GET, always go to the app."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = ResponseCache(int(app.config["CACHE_MAX_ENTRIES"]))
        self.ttl = float(app.config["CACHE_VERSION_TTL"])
        self.engine: Engine | None = None

    def _key(self, environ: dict[str, Any]) -> tuple[Any, ...] | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_COOKIE") or self.engine is None:
            return None
        version = _memo_for(self.engine).current(self.engine, self.ttl)
        return (
            version,
            int(time.time() // 60),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        key = self._key(environ)
        found = self.store.get(key) if key is not None else None
        if found is not None:
            headers = list(found.headers)
            if f'"{found.etag}"' in environ.get("HTTP_IF_NONE_MATCH", ""):
                start_response("304 NOT MODIFIED", [h for h in headers if h[0] != "Content-Length"])
                return [b""]
            start_response("200 OK", headers)
            return [found.body]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        status = str(captured.get("status", ""))
        if key is None or not environ.get(_FRONT_KEY) or not status.startswith("200 "):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = captured["headers"]
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return [data]
        etag = next((v.strip('"') for n, v in headers if n.lower() == "etag"), _etag(data))
        self.store.put(key, CachedResponse(body=data, mimetype="", etag=etag, headers=tuple(headers)))
        return [data]


def init_app(app: Flask) -> None:
    """Call before the rate limiter is set up, so that cached pages are answered first."""
    install_session_hooks()
    app.extensions["hub_cache"] = ResponseCache(int(app.config["CACHE_MAX_ENTRIES"]))
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_cached)
    if app.config["CACHE_ENABLED"]:
        front = FrontCache(app, app.wsgi_app)
        app.wsgi_app = front  # type: ignore[method-assign]

        @app.before_request
        def _remember_engine() -> None:
            if front.engine is None:
                front.engine = db.engine
