"""Mail tests: the app talks to a real SMTP server on loopback (the smtp_server fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_config


@pytest.fixture
def app_config(tmp_path: Path, smtp_server: Any) -> dict[str, Any]:
    return make_config(
        tmp_path,
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_DEFAULT_SENDER="Arendalsuka hub <noreply@hub.test>",
    )
