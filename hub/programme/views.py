"""Public programme pages and feeds: parse the request, query, render."""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hub.extensions import db
from hub.programme import bp, feeds, queries
from hub.timeutil import local, utcnow


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


@bp.get("/")
def index() -> ResponseReturnValue:
    filters, problems = queries.ProgrammeFilter.from_args(request.args.to_dict())
    programme = queries.programme(db.session, filters, today=local(utcnow()).date())
    return render_template(
        "programme/index.html",
        programme=programme,
        filters=filters,
        festival=queries.current_festival(db.session),
        problems=[_("That day is not a date; showing all days.")] if "day" in problems else [],
    )


@bp.get("/events/<slug>")
def event(slug: str) -> ResponseReturnValue:
    found = queries.event_by_slug(db.session, slug)
    if found is None:
        abort(404)
    return render_template("programme/event.html", event=found, now=utcnow())


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/events/<slug>.ics")
def event_ics(slug: str) -> ResponseReturnValue:
    found = queries.event_by_slug(db.session, slug)
    if found is None:
        abort(404)
    return _ics(feeds.calendar([found], _base_url(), found.title), f"{found.slug}.ics")


@bp.get("/programme.ics")
def programme_ics() -> ResponseReturnValue:
    festival = queries.current_festival(db.session)
    name = festival.name if festival else "Programme"
    return _ics(feeds.calendar(queries.all_events(db.session), _base_url(), name), "programme.ics")


@bp.get("/programme.json")
def programme_json() -> ResponseReturnValue:
    document = feeds.programme_document(queries.current_festival(db.session), queries.all_events(db.session))
    return jsonify(document)


@bp.get("/schedule.json")
def schedule_json() -> ResponseReturnValue:
    festival = queries.current_festival(db.session)
    return jsonify(feeds.frab_schedule(festival, queries.all_events(db.session), _base_url()))
