"""WSGI entry point: ``gunicorn wsgi:app`` and ``FLASK_APP=wsgi``."""

import sys

from hub import create_app
from hub.config import ConfigError

try:
    app = create_app()
except ConfigError as error:  # a setting is missing: say which, without a traceback
    sys.stderr.write(f"hub: {error}\n")
    raise SystemExit(1) from None
