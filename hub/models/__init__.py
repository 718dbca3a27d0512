"""Typed SQLAlchemy 2.0 models, one module per concern."""

from hub.models.accounts import Account, AccountSession, LoginThrottle, account_organisers
from hub.models.cache import DataVersion
from hub.models.livestream import Livestream, QuotaUsage, StreamStatus, YouTubeChannel
from hub.models.mail import OutboxMessage
from hub.models.programme import AgendaItem, Event, Festival, Organiser, Venue, event_organisers
from hub.models.registration import Attendance, Registration, RegistrationStatus

__all__ = [
    "Account",
    "AccountSession",
    "AgendaItem",
    "Attendance",
    "DataVersion",
    "Event",
    "Festival",
    "Livestream",
    "LoginThrottle",
    "Organiser",
    "OutboxMessage",
    "QuotaUsage",
    "Registration",
    "RegistrationStatus",
    "StreamStatus",
    "Venue",
    "YouTubeChannel",
    "account_organisers",
    "event_organisers",
]
