"""Organiser login and logout (Flask-Login), rate-limited, with a neutral error."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from hub.extensions import db, limiter, login_manager
from hub.models import Account
from hub.organiser import bp
from hub.organiser.forms import LoginForm

DEFAULT_LOGIN_LIMIT = "10 per minute"

# Checked when no account has the email, so a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_account)
    login_manager.login_view = "organiser.login"
    login_manager.login_message = _l("Please log in to see the organiser area.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"


def load_account(account_id: str) -> Account | None:
    try:
        return db.session.get(Account, int(account_id))
    except (TypeError, ValueError):
        return None


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


def authenticate(email: str, password: str) -> Account | None:
    """The account with this email and password, or None (same work either way)."""
    account = db.session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return account if account.check_password(password) else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("organiser.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        account = authenticate(form.email.data or "", form.password.data or "")
        if account is not None:
            login_user(account)
            return redirect(next_url or url_for("organiser.dashboard"))
        error = _("Wrong email or password.")
    return render_template("organiser/login.html", form=form, error=error, next_url=next_url)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("organiser.login"))
