"""The YouTube quota ledger: units spent per Pacific-time day, and the hub's daily budget.

YouTube gives a project 10,000 units a day and resets them at midnight Pacific time;
``YOUTUBE_DAILY_BUDGET`` is the share the hub may spend. Units are recorded per quota day in
:class:`QuotaUsage` (an atomic UPDATE, so several workers add up correctly), and
:class:`Ledger` refuses a call before it would pass the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hub.extensions import DbSession
from hub.livestream.client import YouTubeClient, YouTubeError
from hub.models import QuotaUsage

PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube's quota day ends at midnight Pacific time
DEFAULT_BUDGET = 2000


class BudgetExhausted(YouTubeError):
    """The sync would spend more than the configured daily budget; nothing was called."""


class ConfigurationError(YouTubeError):
    pass


def quota_day(now: datetime) -> date:
    """The YouTube quota day (Pacific time) that ``now`` falls in."""
    return now.astimezone(PACIFIC).date()


def quota_day_ends(now: datetime) -> datetime:
    """When the quota day of ``now`` ends (the next midnight, Pacific time)."""
    midnight = datetime.combine(quota_day(now) + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(now.tzinfo)


def units_spent_on(session: DbSession, day: date) -> int:
    return int(session.scalar(select(QuotaUsage.units).where(QuotaUsage.day == day)) or 0)


def record_units(session: DbSession, day: date, units: int) -> None:
    """Add ``units`` to the day's total (an atomic UPDATE; the row is created on first use)."""
    if units <= 0:
        return
    result: Any = session.execute(
        update(QuotaUsage).where(QuotaUsage.day == day).values(units=QuotaUsage.units + units)
    )
    if result.rowcount:
        return
    try:
        with session.begin_nested():
            session.add(QuotaUsage(day=day, units=units))
    except IntegrityError:  # another process created the day's row meanwhile
        session.execute(
            update(QuotaUsage).where(QuotaUsage.day == day).values(units=QuotaUsage.units + units)
        )


class Ledger:
    """The units one sync may spend: what the day has left, counted as the client calls."""

    def __init__(self, session: DbSession, client: YouTubeClient, now: datetime, budget: int):
        self.day = quota_day(now)
        self.before = units_spent_on(session, self.day)
        self.client = client
        self.start_units = client.units_spent
        self.budget = budget

    @property
    def spent(self) -> int:
        return self.client.units_spent - self.start_units

    @property
    def today(self) -> int:
        return self.before + self.spent

    def ensure(self, units: int, what: str) -> None:
        """Raise BudgetExhausted (before any call) when ``units`` more would pass the budget."""
        used = self.today
        if used + units > self.budget:
            raise BudgetExhausted(
                f"daily YouTube budget reached: {used} of {self.budget} units spent today "
                f"(Pacific time) and {what} needs {units} more; raise HUB_YOUTUBE_DAILY_BUDGET "
                "or wait until midnight Pacific time"
            )

    def record(self, session: DbSession) -> None:
        record_units(session, self.day, self.spent)


def daily_budget(config: Mapping[str, Any]) -> int:
    """``YOUTUBE_DAILY_BUDGET`` as a whole number of units; ConfigurationError when it is not."""
    value = config.get("YOUTUBE_DAILY_BUDGET", DEFAULT_BUDGET)
    try:
        budget = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"HUB_YOUTUBE_DAILY_BUDGET must be a whole number of units, not {value!r}"
        ) from None
    if budget < 0:
        raise ConfigurationError("HUB_YOUTUBE_DAILY_BUDGET must not be negative")
    return budget
