"""The data version: one counter that every write to public data moves on (hub/cache.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, event
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import Base


class DataVersion(Base):
    """A single row (id 1). Rendered public pages are cached under its value, so a bump
    makes every instance render afresh; the row lives in the shared database so web
    processes on several machines agree without any other shared service."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")


@event.listens_for(DataVersion.__table__, "after_create")
def _first_row(target: Any, connection: Connection, **_kw: Any) -> None:
    """The one row exists from the start (create_all in tests; the migration inserts it too)."""
    connection.execute(target.insert().values(id=1, version=1))
