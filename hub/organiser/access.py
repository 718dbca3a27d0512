"""Which events an organiser account may see: one rule, used by every organiser view.

An admin sees every event; anyone else sees the events of the organisers linked to the
account. An event outside that scope is a 404, the same as an event that does not exist.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.models import Account, Event, account_organisers, event_organisers


def visible(account: Account) -> ColumnElement[bool]:
    """A WHERE clause on Event that keeps the events ``account`` may see."""
    if account.is_admin:
        return true()
    return Event.id.in_(
        select(event_organisers.c.event_id)
        .join(account_organisers, account_organisers.c.organiser_id == event_organisers.c.organiser_id)
        .where(account_organisers.c.account_id == account.id)
    )


def visible_events(account: Account) -> Select[tuple[Event]]:
    return select(Event).where(visible(account))


def event_or_404(session: DbSession, account: Account, slug: str) -> Event:
    """The event with ``slug`` if ``account`` may see it; otherwise abort with 404."""
    event = session.scalar(
        visible_events(account)
        .where(Event.slug == slug)
        .options(selectinload(Event.organisers), selectinload(Event.livestream))
    )
    if event is None:
        abort(404)
    return event
