"""Attendee sign-up: the form on each event page, double opt-in, cancel, the waiting list."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from hub.registration import views  # noqa: E402,F401  (registers the routes on bp)
