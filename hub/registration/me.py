""" "My sign-ups" and the privacy page: /me, /me/<token>, its export and erasure, /privacy.

Thin views over :mod:`hub.registration.personal`. The request form answers the same for
every address; every page under /me/<token> holds personal data and says ``no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.extensions import csrf, db, limiter
from hub.mail.compose import Links
from hub.models import Attendance, Registration, RegistrationStatus, SignupState
from hub.programme import feeds
from hub.registration import bp, personal, service
from hub.registration.forms import ActionForm, DetailsForm, EraseForm, MeLinkForm
from hub.registration.privacy import privacy_version
from hub.registration.views import _bad_link, _rollback, _signup_limit, commit_and_deliver
from hub.security import personal as personal_page
from hub.tickets import qr_svg
from hub.timeutil import utcnow
from hub.tokens import Purpose

OwnerView = Callable[..., ResponseReturnValue]


def owner_page(view: OwnerView) -> Callable[..., ResponseReturnValue]:
    """A page of the person whose link this is: the view gets the sign-up the link names (its
    address is whose page it is) and the token; a bad link gets the friendly page instead.
    Every such page holds personal data (no-store)."""

    @personal_page
    @wraps(view)
    def wrapper(token: str, **kwargs: Any) -> ResponseReturnValue:
        try:
            owner = service.registration_for_link(db.session, Purpose.ME, token, current_app.config)
        except service.InvalidLink as exc:
            if request.path.endswith(".json"):
                return {"error": str(exc.message)}, exc.status_code
            return _bad_link(exc)
        return view(owner, token, **kwargs)

    return wrapper


@bp.route("/me", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def me() -> ResponseReturnValue:
    form = MeLinkForm()
    if form.validate_on_submit():
        interval = timedelta(seconds=int(current_app.config["ME_LINK_INTERVAL"]))
        try:
            personal.request_me_link(
                db.session, form.email.data, now=utcnow(), links=Links.from_app(), interval=interval
            )
            commit_and_deliver()
        except IntegrityError:  # the same request at the same moment: that one sends the mail
            _rollback()
        flash(
            _(
                "If that address has sign-ups with us, we have sent it a link to them. "
                "Please check your inbox (and the spam folder)."
            ),
            "success",
        )
        return redirect(url_for(".me"))
    status = 400 if form.errors else 200
    return render_template("registration/me_request.html", form=form), status


@bp.get("/me/<token>")
@owner_page
def me_page(owner: Registration, token: str) -> ResponseReturnValue:
    now = utcnow()
    links = Links.from_app()
    rows = []
    for registration in personal.sign_ups_of(db.session, owner.email):
        event = registration.event
        active = registration.status != RegistrationStatus.CANCELLED
        state = event.signup_state(now)
        rows.append(
            {
                "registration": registration,
                "event": event,
                "position": service.waitlist_position(db.session, registration),
                "over": state == SignupState.OVER,
                "cancel_url": links.cancel(registration) if active and state != SignupState.OVER else None,
                "confirm_url": (
                    links.confirm(registration)
                    if registration.status == RegistrationStatus.PENDING and state == SignupState.OPEN
                    else None
                ),
                # The personal watch link (live, then the recording) for whoever will watch.
                "watch_url": links.watch(registration)
                if registration.status == RegistrationStatus.CONFIRMED
                and (registration.attendance == Attendance.ONLINE or feeds.watch_url(event))
                else None,
                # The QR ticket the door scans (in person, with a place, before the end).
                "ticket_svg": qr_svg(
                    links.checkin(registration), _("Ticket for %(event)s", event=event.title)
                )
                if registration.status == RegistrationStatus.CONFIRMED
                and registration.attendance == Attendance.IN_PERSON
                and state != SignupState.OVER
                else None,
                "details_form": (
                    DetailsForm(formdata=None, obj=registration, prefix=f"r{registration.id}")
                    if active
                    else None
                ),
            }
        )
    page = render_template(
        "registration/me.html", owner=owner, rows=rows, token=token, form=ActionForm(formdata=None)
    )
    return page


@bp.get("/me/<token>/data.json")
@owner_page
def me_data(owner: Registration, token: str) -> ResponseReturnValue:
    response = jsonify(personal.export_address(db.session, owner.email, utcnow()))
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.post("/me/<token>/details/<public_id>")
@owner_page
def me_details(owner: Registration, token: str, public_id: str) -> ResponseReturnValue:
    target = db.session.scalar(select(Registration).where(Registration.public_id == public_id))
    if target is None or target.email != owner.email:
        return _bad_link(service.InvalidLink())
    form = DetailsForm(prefix=f"r{target.id}")
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for(".me_page", token=token))
    try:
        personal.update_details(db.session, target, name=form.name.data, organisation=form.organisation.data)
        db.session.commit()
        flash(_("Your details are saved."), "success")
    except service.RegistrationError as exc:
        _rollback()
        flash(str(exc.message), "error")
    return redirect(url_for(".me_page", token=token))


@bp.route("/me/<token>/erase", methods=["GET", "POST"])
@owner_page
def me_erase(owner: Registration, token: str) -> ResponseReturnValue:
    """GET: what erasing does, and a box to tick; POST with the box ticked: erase."""
    form = EraseForm()
    if request.method == "POST" and form.validate_on_submit():
        personal.erase_address(db.session, owner.email, now=utcnow(), links=Links.from_app())
        commit_and_deliver()  # promotions of others, caused by the seats freed
        flash(_("Your data is erased. Nothing about this address is left with us."), "success")
        return redirect(url_for(".me"))
    count = len(personal.sign_ups_of(db.session, owner.email))
    page = render_template("registration/me_erase.html", form=form, token=token, count=count)
    return page, 400 if form.errors else 200


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template(
        "privacy/privacy.html",
        version=privacy_version(),
        retention_days=int(current_app.config["RETENTION_DAYS"]),
    )


# Like the sign-up forms, these carry the session-free form token (forms.PublicForm).
for _view in (me, me_details, me_erase):
    csrf.exempt(_view)
