"""Organiser pages: parse the request, check the account's scope, call a query or service, render."""

from __future__ import annotations

import re
from typing import Any, cast

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from hub.extensions import db, login_manager
from hub.i18n import time_of
from hub.livestream import InvalidVideoReference, pin_video, unpin
from hub.livestream.pins import VideoInUse
from hub.models import Account, Attendance, Event, Livestream, Registration, RegistrationStatus
from hub.organiser import bp, export, queries
from hub.organiser.access import event_or_404, visible_events
from hub.organiser.account_views import LINK_ENDPOINTS
from hub.organiser.door_views import door_answer, wants_json
from hub.organiser.forms import PinForm
from hub.organiser.service import CheckInError, check_in, undo_check_in
from hub.timeutil import local, parse_day, utcnow

PUBLIC_ENDPOINTS = {"organiser.login", "organiser.logout"} | LINK_ENDPOINTS

STATUS_LABELS = {
    RegistrationStatus.PENDING: _l("awaiting confirmation"),
    RegistrationStatus.CONFIRMED: _l("confirmed"),
    RegistrationStatus.WAITLISTED: _l("on the waiting list"),
    RegistrationStatus.CANCELLED: _l("cancelled"),
}


@bp.before_request
def _require_login() -> ResponseReturnValue | None:
    """Every organiser page except login and logout needs a logged-in account."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return cast(ResponseReturnValue, login_manager.unauthorized())
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    """Sign-up lists are personal data: no caching by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _account() -> Account:
    return cast(Account, current_user._get_current_object())


def _list_args() -> dict[str, Any]:
    """The sign-up list's filter and search, as given (for links back to the same view)."""
    status = request.args.get("status") or None
    return {
        "status": status if status in queries.LIST_FILTERS else None,
        "q": request.args.get("q", "").strip()[:200] or None,
    }


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    day = None
    problems = []
    if request.args.get("day"):
        try:
            day = parse_day(request.args["day"])
        except ValueError:
            problems.append(_("That day is not a date; showing all days."))
    board = queries.dashboard(db.session, _account(), day, today=local(utcnow()).date())
    return render_template("organiser/dashboard.html", board=board, day=day, problems=problems)


@bp.get("/events/<slug>")
def event(slug: str) -> ResponseReturnValue:
    found = event_or_404(db.session, _account(), slug)
    args = _list_args()
    registrations = queries.event_registrations(db.session, found)
    return render_template(
        "organiser/event.html",
        event=found,
        counts=queries.counts_by_event(db.session, [found.id])[found.id],
        registrations=queries.filter_registrations(registrations, args["status"], args["q"] or ""),
        waitlist=queries.waitlist(db.session, found),
        failed_mail=queries.failed_mail(db.session, found),
        total=len(registrations),
        args=args,
        list_filters=queries.LIST_FILTERS,
    )


def _filename(slug: str, semicolon: bool) -> str:
    """Distinct names for the two variants, so one download does not overwrite the other."""
    suffix = "-registrations-semicolon.csv" if semicolon else "-registrations.csv"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", slug) + suffix


@bp.get("/events/<slug>/registrations.csv")
def export_csv(slug: str) -> ResponseReturnValue:
    found = event_or_404(db.session, _account(), slug)
    registrations = queries.event_registrations(db.session, found)
    semicolon = request.args.get("sep") == "semicolon"
    delimiter = ";" if semicolon else ","
    body = export.to_csv(
        export.rows(registrations, queries.waitlist_positions(db.session, found)), delimiter=delimiter
    )
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(found.slug, semicolon)}"'
    return response


def _registration_or_404(slug: str, public_id: str) -> Registration:
    found = event_or_404(db.session, _account(), slug)
    registration = db.session.scalar(
        select(Registration).where(Registration.public_id == public_id, Registration.event_id == found.id)
    )
    if registration is None:
        abort(404)
    return registration


def _back(slug: str, registration: Registration) -> ResponseReturnValue:
    if request.form.get("door"):
        return redirect(url_for("organiser.door", slug=slug))
    args = {k: v for k, v in _list_args().items() if v}
    return redirect(url_for("organiser.event", slug=slug, **args, _anchor=f"r-{registration.public_id}"))


@bp.post("/events/<slug>/registrations/<public_id>/check-in")
def check_in_view(slug: str, public_id: str) -> ResponseReturnValue:
    registration = _registration_or_404(slug, public_id)
    try:
        changed = check_in(db.session, registration, utcnow())
    except CheckInError as exc:
        if registration.attendance == Attendance.ONLINE and exc.status == RegistrationStatus.CONFIRMED:
            message = _(
                "%(name)s follows the event online: only in-person attendees are checked in.",
                name=registration.name,
            )
        else:
            message = _(
                "%(name)s cannot be checked in: only confirmed sign-ups can, and this one is %(status)s.",
                name=registration.name,
                status=STATUS_LABELS[exc.status],
            )
        if wants_json():
            return door_answer(registration.event, registration, message, ok=False)
        flash(message, "error")
        return _back(slug, registration)
    db.session.commit()
    if changed:
        message, category = _("%(name)s is checked in.", name=registration.name), "success"
    else:
        assert registration.checked_in_at is not None
        message = _(
            "%(name)s was already checked in at %(time)s.",
            name=registration.name,
            time=time_of(registration.checked_in_at),
        )
        category = "warning"
    if wants_json():
        return door_answer(registration.event, registration, message, ok=changed)
    flash(message, category)
    return _back(slug, registration)


@bp.post("/events/<slug>/registrations/<public_id>/undo-check-in")
def undo_check_in_view(slug: str, public_id: str) -> ResponseReturnValue:
    registration = _registration_or_404(slug, public_id)
    if undo_check_in(db.session, registration):
        db.session.commit()
        message, category = _("Check-in of %(name)s undone.", name=registration.name), "success"
    else:
        message, category = _("%(name)s was not checked in.", name=registration.name), "warning"
    if wants_json():
        return door_answer(registration.event, registration, message, ok=category == "success")
    flash(message, category)
    return _back(slug, registration)


def _pin_error(exc: InvalidVideoReference) -> str:
    """The livestream module's reason, in the interface language."""
    if isinstance(exc, VideoInUse):
        in_use: str = _(
            "That video is already linked to another event: %(events)s. A video is the livestream "
            "of one event only; if it is this event's broadcast, ask an administrator to move it here.",
            events=", ".join(f"“{title}”" for title in exc.event_titles),
        )
        return in_use
    messages: dict[str, str] = {
        "empty": _("Paste a YouTube link (for example https://youtu.be/…) or an 11-character video id."),
        "channel": _(
            "That is a channel, not a video: paste the link of the broadcast itself "
            "(youtube.com/watch?v=…, youtu.be/… or youtube.com/live/…)."
        ),
        "not_video": _(
            "That is not a YouTube video link or id. Use a link like youtube.com/watch?v=…, "
            "youtu.be/… or youtube.com/live/…, or the 11-character video id."
        ),
    }
    return messages.get(exc.code, str(exc))


def _pin(event: Event, text: str) -> Livestream:
    """Pin a video; it moves from another event only when the account sees that event too
    (an admin sees all; an organiser moves videos between their own events)."""
    try:
        return pin_video(db.session, event, text, utcnow(), take_over=_account().is_admin)
    except VideoInUse as exc:
        visible_slugs = set(
            db.session.scalars(
                visible_events(_account())
                .where(Event.slug.in_(exc.event_slugs))
                .with_only_columns(Event.slug)
            )
        )
        if visible_slugs != set(exc.event_slugs):
            raise
        return pin_video(db.session, event, text, utcnow(), take_over=True)


@bp.route("/events/<slug>/livestream", methods=["GET", "POST"])
def livestream(slug: str) -> ResponseReturnValue:
    found = event_or_404(db.session, _account(), slug)
    form = PinForm()
    if form.validate_on_submit():
        try:
            stream = _pin(found, form.video.data or "")
        except InvalidVideoReference as exc:
            db.session.rollback()
            form.video.errors.append(_pin_error(exc))
        else:
            db.session.commit()
            flash(_("Video %(video)s is pinned to this event.", video=stream.video_id), "success")
            return redirect(url_for("organiser.livestream", slug=slug))
    return render_template("organiser/livestream.html", event=found, stream=found.livestream, form=form)


@bp.post("/events/<slug>/livestream/unpin")
def unpin_livestream(slug: str) -> ResponseReturnValue:
    found = event_or_404(db.session, _account(), slug)
    if unpin(db.session, found):
        db.session.commit()
        flash(
            _("The pin is removed; the next YouTube sync looks for this event's broadcast again."), "success"
        )
    else:
        flash(_("No video was pinned to this event."), "warning")
    return redirect(url_for("organiser.livestream", slug=slug))
