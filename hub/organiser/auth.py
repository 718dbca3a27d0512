"""Organiser login and logout: server-side sessions, throttled per address and per client."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from hub import timeutil
from hub.extensions import db, limiter, login_manager
from hub.models import Account
from hub.organiser import accounts, bp
from hub.organiser.forms import LoginForm

DEFAULT_LOGIN_LIMIT = "10 per minute;50 per hour"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_account)
    login_manager.login_view = "organiser.login"
    login_manager.login_message = _l("Please log in to see the organiser area.")
    login_manager.login_message_category = "warning"
    # "basic", not "strong": a phone at the door changes network (and address) often; a stolen
    # cookie is answered by server-side sessions with idle and absolute timeouts instead.
    login_manager.session_protection = "basic"


def session_policy() -> accounts.SessionPolicy:
    return accounts.SessionPolicy(
        idle=current_app.config["ORGANISER_SESSION_IDLE"],
        lifetime=current_app.config["ORGANISER_SESSION_LIFETIME"],
    )


def lock_policy() -> accounts.LockPolicy:
    return accounts.LockPolicy(
        after=current_app.config["LOGIN_LOCK_AFTER"], base=current_app.config["LOGIN_LOCK_BASE"]
    )


def load_account(key: str) -> Account | None:
    """Flask-Login's loader: the cookie names a server-side session, not an account."""
    account = accounts.load_session(db.session, key, now=timeutil.utcnow(), policy=session_policy())
    if db.session.dirty:
        db.session.commit()
    return account


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t"):
        return None
    return target


def _login_limit() -> str:
    return str(current_app.config.get("RATELIMIT_LOGIN", DEFAULT_LOGIN_LIMIT))


def _locked_page(form: LoginForm, next_url: str | None, email: str) -> ResponseReturnValue:
    until = accounts.locked_until(db.session, email)
    seconds = max(math.ceil((until - timeutil.utcnow()).total_seconds()), 1) if until else 60
    error = _(
        "Too many failed logins for this address. Try again in %(minutes)d minutes.",
        minutes=math.ceil(seconds / 60),
    )
    body = render_template("organiser/login.html", form=form, error=error, next_url=next_url)
    return body, 429, {"Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("organiser.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email, password = form.email.data or "", form.password.data or ""
        now = timeutil.utcnow()
        allowed = accounts.reserve_attempt(db.session, email, now=now, policy=lock_policy())
        db.session.commit()  # the attempt counts before the password is checked
        if not allowed:
            return _locked_page(form, next_url, email)
        account = accounts.find_account(db.session, email)
        if accounts.verify_password(account, password) and account is not None and account.active:
            accounts.login_succeeded(db.session, email)
            language = session.get("lang")
            session.clear()  # a fresh session: nothing from before the login carries over
            if language:
                session["lang"] = language
            accounts.start_session(db.session, account, now=now)
            db.session.commit()
            login_user(account)
            return redirect(next_url or url_for("organiser.dashboard"))
        db.session.commit()
        error = _("Wrong email or password.")
    return render_template("organiser/login.html", form=form, error=error, next_url=next_url)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        accounts.end_session(db.session, current_user.get_id(), now=timeutil.utcnow())
        db.session.commit()
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You are logged out."), "success")
    return redirect(url_for("organiser.login"))
