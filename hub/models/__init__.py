"""Typed SQLAlchemy 2.0 models, one module per concern."""

from hub.models.accounts import Account, AccountSession, LoginThrottle, account_organisers
from hub.models.cache import DataVersion
from hub.models.livestream import Livestream, QuotaUsage, StreamStatus, YouTubeChannel
from hub.models.mail import OutboxMessage
from hub.models.organiser_work import AttendeeMail, EventChange
from hub.models.programme import (
    AgendaItem,
    Event,
    Festival,
    Organiser,
    SignupState,
    Venue,
    event_organisers,
)
from hub.models.registration import Attendance, Consent, Registration, RegistrationStatus, SignupTally

__all__ = [
    "Account",
    "AccountSession",
    "AgendaItem",
    "Attendance",
    "AttendeeMail",
    "Consent",
    "DataVersion",
    "Event",
    "EventChange",
    "Festival",
    "Livestream",
    "LoginThrottle",
    "Organiser",
    "OutboxMessage",
    "QuotaUsage",
    "Registration",
    "RegistrationStatus",
    "SignupState",
    "SignupTally",
    "StreamStatus",
    "Venue",
    "YouTubeChannel",
    "account_organisers",
    "event_organisers",
]
