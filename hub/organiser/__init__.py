"""The organiser area (login only): dashboard, sign-up lists, CSV export, check-in, livestream pinning."""

from flask import Blueprint

bp = Blueprint("organiser", __name__, url_prefix="/organiser")

from hub.organiser import account_views, auth, door_views, event_views, mail_views, views  # noqa: E402,F401  (registers the routes on bp)
