"""Editing and cancelling events in the organiser area (scope: the events the account may see)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import Account, Event, Organiser
from hub.organiser import bp, editing, invitations
from hub.organiser.access import event_or_404
from hub.organiser.account_views import admin_required
from hub.organiser.forms import EventForm, NewEventForm
from hub.registration.views import commit_and_deliver
from hub.timeutil import OSLO, local, utcnow


def _account() -> Account:
    return cast(Account, current_user._get_current_object())


def _from_local(value: datetime) -> datetime:
    return value.replace(tzinfo=OSLO).astimezone(UTC)


def _to_local(value: datetime) -> datetime:
    return local(value).replace(tzinfo=None)


def form_for(event: Event) -> EventForm:
    form = EventForm()
    if request.method == "GET":
        form.title.data = event.title
        form.description.data = event.description
        form.starts_at.data = _to_local(event.starts_at)
        form.ends_at.data = _to_local(event.ends_at)
        form.venue_name.data = event.venue.name if event.venue else ""
        form.venue_address.data = event.venue.address if event.venue else ""
        form.capacity.data = event.capacity
        form.attendance.data = list(event.attendance or [])
    return form


def values_of(form: EventForm) -> editing.EventValues:
    assert form.starts_at.data is not None
    assert form.ends_at.data is not None
    return editing.EventValues(
        title=(form.title.data or "").strip(),
        description=(form.description.data or "").replace("\r\n", "\n").strip(),
        starts_at=_from_local(form.starts_at.data),
        ends_at=_from_local(form.ends_at.data),
        venue_name=(form.venue_name.data or "").strip() or None,
        venue_address=(form.venue_address.data or "").strip() or None,
        capacity=form.capacity.data,
        attendance=tuple(v for v in ("in_person", "online") if v in (form.attendance.data or [])),
    )


def hidden_fields(form: EventForm) -> list[tuple[str, str]]:
    """The submitted form again as (name, value) pairs, for the preview's hidden inputs."""
    pairs: list[tuple[str, str]] = []
    for field in form:
        if field.name in ("csrf_token", "notify"):
            continue
        values = field.data if field.type == "MultiCheckboxField" else [field._value()]
        pairs.extend((field.name, str(value)) for value in values or [])
    return pairs


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit_event(slug: str) -> ResponseReturnValue:
    event = event_or_404(db.session, _account(), slug)
    form = form_for(event)
    if form.validate_on_submit() and request.form.get("step") != "back":
        values = values_of(form)
        found = editing.changes(editing.EventValues.of(event), values)
        announce = [c for c in found if c.notify]
        if announce and request.form.get("step") != "save":
            links = Links.from_app()
            return render_template(
                "organiser/edit_preview.html",
                event=event,
                form=form,
                changes=found,
                hidden=hidden_fields(form),
                notice=editing.compose_notice("event_changed", event, announce, links, None, values),
                count=len(editing.recipients(db.session, event, editing.NOTIFIED)),
                shown=editing.shown,
                label=editing.field_label,
            )
        notify = request.form.get("notify") == "y"
        result = editing.edit_event(
            db.session, event, values, account=_account(), now=utcnow(), links=Links.from_app(), notify=notify
        )
        commit_and_deliver()
        if not result.changes:
            flash(_("Nothing changed."), "warning")
        else:
            message = _("The event is saved.")
            if result.notified:
                message += " " + _("%(n)d attendees are being mailed about the change.", n=result.notified)
            if result.promoted:
                message += " " + _("%(n)d moved up from the waiting list.", n=result.promoted)
            flash(message, "success")
        return redirect(url_for("organiser.edit_event", slug=event.slug))
    return render_template(
        "organiser/edit.html",
        event=event,
        form=form,
        history=editing.history(db.session, event),
        label=editing.field_label,
    )


@bp.route("/events/new", methods=["GET", "POST"])
@admin_required
def new_event() -> ResponseReturnValue:
    form = NewEventForm()
    form.organisers.choices = [
        (o.id, o.name) for o in db.session.scalars(select(Organiser).order_by(Organiser.name))
    ]
    if request.method == "GET":
        form.attendance.data = ["in_person"]
    if form.validate_on_submit():
        event = editing.create_event(
            db.session,
            values_of(form),
            language=form.language.data or "nb",
            organisers=invitations.organisers_by_id(db.session, form.organisers.data or []),
            account=_account(),
            now=utcnow(),
        )
        db.session.commit()
        flash(_("The event is added to the programme."), "success")
        return redirect(url_for("organiser.edit_event", slug=event.slug))
    return render_template("organiser/new_event.html", form=form)


@bp.route("/events/<slug>/cancel", methods=["GET", "POST"])
def cancel_event(slug: str) -> ResponseReturnValue:
    """GET asks (with the number of people who will be mailed); POST cancels."""
    event = event_or_404(db.session, _account(), slug)
    if request.method == "POST" and not event.is_cancelled:
        mailed = editing.cancel_event(
            db.session, event, account=_account(), now=utcnow(), links=Links.from_app()
        )
        commit_and_deliver()
        flash(_("The event is cancelled. %(n)d people are being mailed.", n=mailed), "success")
        return redirect(url_for("organiser.edit_event", slug=event.slug))
    count = len(editing.recipients(db.session, event, editing.TOLD_OF_CANCEL))
    return render_template("organiser/cancel_event.html", event=event, count=count)
