"""Registration fixtures: links for mails, sign-up details, and what the outbox holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.mail.compose import Links
from hub.models import OutboxMessage
from hub.registration.service import SignupDetails

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def links(app: Any) -> Links:
    return Links.from_app(app)


def details(email: str, name: str = "Ada Lovelace", **overrides: Any) -> SignupDetails:
    values: dict[str, Any] = {
        "name": name,
        "email": email,
        "organisation": None,
        "attendance": None,
        "locale": "en",
        **overrides,
    }
    return SignupDetails(**values)


def outbox(kind: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    if to is not None:
        stmt = stmt.where(OutboxMessage.recipient == to)
    return list(db.session.scalars(stmt))
