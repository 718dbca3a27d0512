"""Error pages in the site's style; JSON for JSON clients."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def render_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if _wants_json():
        return {"error": error.name, "description": error.description}, code
    template = f"errors/{code}.html" if code in (404, 429, 500) else "errors/generic.html"
    return render_template(template, error=error), code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)

    @app.errorhandler(Exception)
    def _unhandled(error: Exception) -> ResponseReturnValue:
        # The route, not the path: a path can hold a token or an address.
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        log.exception("unhandled error on %s %s", request.method, rule)
        return render_error(InternalServerError())
