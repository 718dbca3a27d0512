"""The door: the QR ticket's target, and a door mode for phones (scan, search, walk-ins).

``GET /organiser/checkin/<token>`` shows who the ticket belongs to and changes nothing; its
POST checks in. A ticket for an event the account does not see is a 404, like any such event.
"""

from __future__ import annotations

from typing import cast

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.extensions import db
from hub.i18n import current_language, time_of
from hub.models import Account, Attendance, Event, Registration, RegistrationStatus
from hub.organiser import bp, queries
from hub.organiser.access import event_or_404, visible
from hub.organiser.forms import WalkInForm
from hub.organiser.service import WalkInError, check_in, walk_in
from hub.security import personal
from hub.timeutil import utcnow
from hub.tokens import Purpose, TokenError, registration_for_token


def _account() -> Account:
    return cast(Account, current_user._get_current_object())


def _ticket_or_404(token: str) -> Registration:
    """The sign-up a ticket names, if the account may see its event; else 404."""
    try:
        registration = registration_for_token(db.session, Purpose.CHECKIN, token, current_app.config)
    except TokenError:
        abort(404)
    allowed = db.session.scalar(
        select(Event.id).where(Event.id == registration.event_id, visible(_account()))
    )
    if allowed is None:
        abort(404)
    return registration


def ticket_state(registration: Registration, door: str | None) -> str:
    """What the door sees: ready, checked_in, wrong_event, online, waitlisted, pending, cancelled."""
    if door and door != registration.event.slug:
        return "wrong_event"
    if registration.status != RegistrationStatus.CONFIRMED:
        return registration.status.value
    if registration.attendance != Attendance.IN_PERSON:
        return "online"
    return "checked_in" if registration.checked_in_at else "ready"


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@personal
def checkin(token: str) -> ResponseReturnValue:
    registration = _ticket_or_404(token)
    door = request.values.get("door") or None
    state = ticket_state(registration, door)
    if request.method == "POST" and state == "ready":
        check_in(db.session, registration, utcnow())
        db.session.commit()
        flash(_("%(name)s is checked in.", name=registration.name), "success")
        if door:
            return redirect(url_for("organiser.door", slug=door))
        return redirect(url_for("organiser.checkin", token=token))
    page = render_template(
        "organiser/checkin.html",
        registration=registration,
        event=registration.event,
        state=state,
        door=door,
        token=token,
    )
    return page, 200 if request.method == "GET" else 409  # a POST that could not check in


def door_list(event: Event) -> list[Registration]:
    """Who is expected at the door: confirmed, in person, by name."""
    registrations = queries.event_registrations(db.session, event)
    return [
        r
        for r in queries.filter_registrations(registrations, RegistrationStatus.CONFIRMED.value, "")
        if r.attendance == Attendance.IN_PERSON
    ]


@bp.route("/events/<slug>/door", methods=["GET"])
def door(slug: str) -> ResponseReturnValue:
    event = event_or_404(db.session, _account(), slug)
    people = door_list(event)
    q = request.args.get("q", "").strip()[:200]
    shown = queries.filter_registrations(people, None, q) if q else people
    page = render_template(
        "organiser/door.html",
        event=event,
        people=shown,
        q=q,
        expected=len(people),
        checked_in=sum(1 for r in people if r.checked_in_at),
        form=WalkInForm(),
    )
    # The one page that may use the camera (to scan tickets); every other page may not.
    return page, 200, {"Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}


@bp.post("/events/<slug>/door/walk-in")
def door_walk_in(slug: str) -> ResponseReturnValue:
    event = event_or_404(db.session, _account(), slug)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            registration = walk_in(
                db.session,
                event,
                name=(form.name.data or "").strip(),
                email=form.email.data or "",
                organisation=(form.organisation.data or "").strip(),
                locale=current_language(),
                now=utcnow(),
            )
        except WalkInError as exc:
            db.session.rollback()
            if exc.reason == "full":
                form.email.errors.append(_("The event is full: there is no seat left for a walk-in."))
            else:
                form.email.errors.append(_("This address is already signed up: find the person in the list."))
        else:
            db.session.commit()
            flash(_("%(name)s is signed up and checked in.", name=registration.name), "success")
            return redirect(url_for("organiser.door", slug=slug))
    people = door_list(event)
    page = render_template(
        "organiser/door.html",
        event=event,
        people=people,
        q="",
        expected=len(people),
        checked_in=sum(1 for r in people if r.checked_in_at),
        form=form,
        walk_in_open=True,
    )
    return page, 400


def door_answer(event: Event, registration: Registration, message: str, ok: bool) -> ResponseReturnValue:
    """The JSON answer to a check-in or undo made by the door mode's script."""
    people = door_list(event)
    return jsonify(
        ok=ok,
        message=message,
        checked_in=registration.checked_in_at is not None,
        time=time_of(registration.checked_in_at) if registration.checked_in_at else None,
        count=sum(1 for r in people if r.checked_in_at),
        expected=len(people),
    )


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"
