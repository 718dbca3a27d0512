"""Attendee sign-up: the form on each event page, double opt-in, cancel, the waiting list,
"my sign-ups" (/me), the privacy page and retention."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from hub.registration import me, views  # noqa: E402,F401  (register the routes on bp)
