"""Accounts in the organiser area: the admin's list and invitations; invitation and reset links."""

from __future__ import annotations

from functools import wraps
from typing import Any, cast

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.extensions import db, limiter
from hub.mail.compose import Links
from hub.models import Account, Organiser
from hub.organiser import bp, invitations
from hub.organiser.accounts import PasswordRejected, set_active
from hub.organiser.auth import _login_limit
from hub.organiser.forms import InviteForm, NewPasswordForm, ResetRequestForm
from hub.organiser.invitations import LinkPurpose
from hub.registration.views import commit_and_deliver
from hub.security import personal
from hub.timeutil import utcnow
from hub.tokens import TokenError, TokenExpired

# Pages that someone without a session opens (from a mail).
LINK_ENDPOINTS = {"organiser.accept_invitation", "organiser.reset_password", "organiser.reset_request"}


def admin_required(view: Any) -> Any:
    """Only an administrator manages accounts; anyone else gets 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not cast(Account, current_user).is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _invite_form() -> InviteForm:
    form = InviteForm()
    organisers = db.session.scalars(select(Organiser).order_by(Organiser.name)).all()
    form.organisers.choices = [(o.id, o.name) for o in organisers]
    return form


@bp.route("/accounts", methods=["GET", "POST"])
@admin_required
def accounts() -> ResponseReturnValue:
    form = _invite_form()
    if form.validate_on_submit():
        now = utcnow()
        try:
            account = invitations.invite(
                db.session,
                form.email.data or "",
                invitations.organisers_by_id(db.session, form.organisers.data or []),
                admin=bool(form.admin.data),
                links=Links.from_app(),
                now=now,
            )
        except invitations.AccountExists:
            form.email.errors.append(_("There is already an account with this address."))
        else:
            commit_and_deliver()
            flash(_("Invitation sent to %(email)s.", email=account.email), "success")
            return redirect(url_for("organiser.accounts"))
    rows = db.session.scalars(
        select(Account).options(selectinload(Account.organisers)).order_by(Account.email)
    ).all()
    return render_template("organiser/accounts.html", accounts=rows, form=form)


def _account_or_404(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    return account


@bp.post("/accounts/<int:account_id>/active")
@admin_required
def account_active(account_id: int) -> ResponseReturnValue:
    account = _account_or_404(account_id)
    active = request.form.get("active") == "1"
    if account.id == cast(Account, current_user).id and not active:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("organiser.accounts"))
    set_active(db.session, account, active, now=utcnow())
    db.session.commit()
    if active:
        flash(_("%(email)s can log in again.", email=account.email), "success")
    else:
        flash(_("%(email)s is disabled and logged out everywhere.", email=account.email), "success")
    return redirect(url_for("organiser.accounts"))


@bp.post("/accounts/<int:account_id>/reinvite")
@admin_required
def account_reinvite(account_id: int) -> ResponseReturnValue:
    account = _account_or_404(account_id)
    if invitations.resend_invitation(db.session, account, links=Links.from_app(), now=utcnow()):
        commit_and_deliver()
        flash(_("A new invitation is on its way to %(email)s.", email=account.email), "success")
    else:
        flash(_("An invitation was sent to %(email)s within the last hour.", email=account.email), "warning")
    return redirect(url_for("organiser.accounts"))


def _link_page(purpose: LinkPurpose, token: str) -> ResponseReturnValue:
    """GET shows the password form; POST sets the password (once) and sends the person to login."""
    title = _("Choose your password") if purpose == LinkPurpose.INVITE else _("Choose a new password")
    try:
        account = invitations.account_for_token(
            db.session, str(current_app.config["SECRET_KEY"]), purpose, token
        )
    except TokenError as exc:
        expired = isinstance(exc, TokenExpired)
        return render_template("organiser/link_invalid.html", purpose=purpose.value, expired=expired), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            invitations.use_link(db.session, account, form.password.data or "", now=utcnow())
        except PasswordRejected as exc:
            form.password.errors.append(str(exc.message))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password is set. Log in with it now."), "success")
            return redirect(url_for("organiser.login"))
    return render_template("organiser/set_password.html", form=form, title=title, account=account)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@personal
def accept_invitation(token: str) -> ResponseReturnValue:
    return _link_page(LinkPurpose.INVITE, token)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@personal
def reset_password(token: str) -> ResponseReturnValue:
    return _link_page(LinkPurpose.RESET, token)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_request() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        invitations.request_reset(db.session, form.email.data or "", links=Links.from_app(), now=utcnow())
        commit_and_deliver()
        return render_template("organiser/reset_sent.html")
    return render_template("organiser/reset_request.html", form=form)
