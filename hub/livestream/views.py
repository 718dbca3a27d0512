"""The personal watch link, and the YouTube addresses templates need (built in urls.py)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hub.extensions import db
from hub.livestream import urls
from hub.livestream.watch import WatchLinkCancelled, destination
from hub.registration.forms import MeLinkForm
from hub.registration.service import InvalidLink, registration_for_link
from hub.security import personal
from hub.tokens import Purpose

bp = Blueprint("livestream", __name__)


@bp.app_template_global()
def youtube_embed_url(video_id: str) -> str:
    return urls.embed_url(video_id)


@bp.app_template_global()
def youtube_channel_url(reference: str) -> str:
    return urls.channel_url(reference)


def _dead_link(message: str, status: int) -> ResponseReturnValue:
    page = render_template("registration/bad_link.html", message=message, form=MeLinkForm(formdata=None))
    return page, status


@bp.get("/watch/<token>")
@personal
def watch(token: str) -> ResponseReturnValue:
    """303 to the live broadcast or the recording, else to the event page; GET changes nothing."""
    try:
        registration = registration_for_link(db.session, Purpose.WATCH, token, current_app.config)
        found = destination(registration)
    except InvalidLink as exc:
        return _dead_link(str(exc.message), exc.status_code)
    except WatchLinkCancelled:
        return _dead_link(_("This sign-up is cancelled, so its watch link no longer works."), 410)
    target = found.youtube_url or url_for("programme.event", slug=registration.event.slug)
    # The link names a person: @personal keeps it out of every cache. (A redirect passes on
    # the referrer of the page that linked here, never this URL, and the site's policy sends
    # only an origin.)
    return redirect(target, 303)
