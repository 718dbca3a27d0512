"""Public programme pages and feeds: parse the request, query, render.

Every page here is public and the same for every visitor without a session, so it is served
through :func:`hub.cache.public_page` (cached under the data version, ETag, 304).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import Response, abort, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hub.cache import public_page
from hub.extensions import db
from hub.models import Festival
from hub.programme import bp, feeds, queries
from hub.timeutil import local, utcnow


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


def _current_festival(spans: list[queries.FestivalSpan] | None = None) -> Festival | None:
    return queries.current_festival(db.session, local(utcnow()).date(), spans)


def _festival_or_404(slug: str) -> Festival:
    festival = queries.festival_by_slug(db.session, slug)
    if festival is None:
        abort(404)
    return festival


def _programme_page(
    festival: Festival | None, endpoint: str, spans: list[queries.FestivalSpan], **page_args: Any
) -> str:
    filters, problems = queries.ProgrammeFilter.from_args(request.args.to_dict())
    view = request.args.get("view")
    view = view if view in queries.VIEWS else "list"
    now = utcnow()
    programme = (
        queries.programme(db.session, festival, filters, today=local(now).date())
        if festival is not None
        else queries.Programme(days=[], all_days=[], total=0)
    )
    if festival is not None and view == "grid" and filters.day is None and len(programme.days) > 1:
        # The grid is one day: the first day that has matches.
        filters = replace(filters, day=programme.days[0].day)
        programme = queries.programme(db.session, festival, filters, today=local(now).date())

    def page_url(**changes: Any) -> str:
        args: dict[str, Any] = filters.args(**changes)
        if "view" not in changes and view != "list":
            args["view"] = view
        elif changes.get("view") == "list":
            args.pop("view", None)
        return url_for(endpoint, **page_args, **args)

    return render_template(
        "programme/index.html",
        programme=programme,
        filters=filters,
        festival=festival,
        festivals=spans,
        current=_current_festival(spans),
        view=view,
        now=now,
        page_url=page_url,
        form_action=url_for(endpoint, **page_args),
        problems=[_("That day is not a date; showing all days.")] if "day" in problems else [],
    )


@bp.get("/")
@public_page
def index() -> ResponseReturnValue:
    spans = queries.festivals(db.session)
    return _programme_page(_current_festival(spans), "programme.index", spans)


@bp.get("/festivals/<slug>/")
@public_page
def festival(slug: str) -> ResponseReturnValue:
    festival = _festival_or_404(slug)
    return _programme_page(festival, "programme.festival", queries.festivals(db.session), slug=slug)


@bp.get("/events/<slug>")
@public_page
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
@public_page
def event_ics(slug: str) -> ResponseReturnValue:
    found = queries.event_by_slug(db.session, slug)
    if found is None:
        abort(404)
    return _ics(feeds.calendar([found], _base_url(), found.title), f"{found.slug}.ics")


def _calendar(festival: Festival | None) -> Response:
    chosen = queries.parse_slugs(request.args.get("events", ""))
    if chosen:  # "my programme": the starred events, from any festival
        events = queries.all_events(db.session, festival, chosen)
        return _ics(feeds.calendar(events, _base_url(), _("My programme")), "my-programme.ics")
    if festival is None:
        return _ics(feeds.calendar([], _base_url(), _("Programme")), "programme.ics")
    events = queries.all_events(db.session, festival)
    return _ics(feeds.calendar(events, _base_url(), festival.name), f"{festival.slug}.ics")


def _document(festival: Festival | None) -> dict[str, Any]:
    if festival is None:
        return {"festival": None, "events": []}
    return feeds.programme_document(festival, queries.all_events(db.session, festival))


def _schedule(festival: Festival | None) -> dict[str, Any]:
    events = queries.all_events(db.session, festival) if festival is not None else []
    return feeds.frab_schedule(festival, events, _base_url())


@bp.get("/programme.ics")
@public_page
def programme_ics() -> ResponseReturnValue:
    return _calendar(_current_festival())


@bp.get("/programme.json")
@public_page
def programme_json() -> ResponseReturnValue:
    return jsonify(_document(_current_festival()))


@bp.get("/schedule.json")
@public_page
def schedule_json() -> ResponseReturnValue:
    return jsonify(_schedule(_current_festival()))


@bp.get("/festivals/<slug>/programme.ics")
@public_page
def festival_ics(slug: str) -> ResponseReturnValue:
    return _calendar(_festival_or_404(slug))


@bp.get("/festivals/<slug>/programme.json")
@public_page
def festival_json(slug: str) -> ResponseReturnValue:
    return jsonify(_document(_festival_or_404(slug)))


@bp.get("/festivals/<slug>/schedule.json")
@public_page
def festival_schedule(slug: str) -> ResponseReturnValue:
    return jsonify(_schedule(_festival_or_404(slug)))


@bp.app_template_global()
def calendar_links(event: Any) -> feeds.CalendarLinks:
    return feeds.calendar_links(event)


@bp.app_template_global()
def follow_url(event: Any) -> str | None:
    return feeds.follow_url(event)


@bp.app_template_global()
def day_grid(group: queries.DayGroup) -> queries.Grid:
    return queries.day_grid(group)


@bp.app_template_global()
def now_and_next(events: list[Any], moment: datetime) -> queries.NowNext:
    return queries.now_and_next(events, moment)


@bp.app_template_filter("localdate")
def localdate(value: datetime) -> date:
    return local(value).date()


@bp.app_template_filter("hour")
def hour(value: datetime) -> int:
    return local(value).hour
