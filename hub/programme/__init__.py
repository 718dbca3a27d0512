"""The public programme: pages, filters, calendar and JSON feeds, the importer."""

from flask import Blueprint

bp = Blueprint("programme", __name__)

from hub.programme import views  # noqa: E402,F401  (registers the routes on bp)
