"""The privacy text: one template with a version, shown on /privacy and beside every sign-up form.

The version is a hash of the template's source, so any change of the wording gives a new
version without anyone remembering to bump a number; each consent record keeps the version
that was shown.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app

PRIVACY_TEMPLATE = "privacy/_text.html"


def privacy_version(app: Flask | None = None) -> str:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("hub.privacy_version")
    if cached is None or app.debug:
        source, _filename, _uptodate = app.jinja_env.loader.get_source(app.jinja_env, PRIVACY_TEMPLATE)  # type: ignore[union-attr]
        text = f"{source}\n{app.config['RETENTION_DAYS']}"  # the text states the period
        cached = app.extensions["hub.privacy_version"] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return str(cached)
