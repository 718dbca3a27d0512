"""CSV export of an event's sign-ups: pure functions of the models.

UTF-8 with a byte order mark so that Excel reads æøå; times in Europe/Oslo, ISO 8601 with
offset; cells that a spreadsheet would run as a formula are prefixed with a single quote.
Headers and the status and attendance words follow the interface language (English keeps
the plain codes, so scripts reading the English file keep working).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from flask_babel import pgettext

from hub.models import Registration
from hub.timeutil import local

HEADER = (
    "name",
    "email",
    "organisation",
    "attendance",
    "status",
    "signed_up_at",
    "confirmed_at",
    "checked_in_at",
    "waitlist_position",
)

# A cell starting with one of these is a formula (or a DDE payload) to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"


def neutralise(value: str) -> str:
    """Defuse CSV/formula injection: a leading quote makes the cell plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _time(value: datetime | None) -> str:
    return local(value).replace(microsecond=0).isoformat() if value is not None else ""


def word(code: str) -> str:
    """A header or a status or attendance code in the interface language."""
    words = {
        "name": pgettext("csv", "name"),
        "email": pgettext("csv", "email"),
        "organisation": pgettext("csv", "organisation"),
        "attendance": pgettext("csv", "attendance"),
        "status": pgettext("csv", "status"),
        "signed_up_at": pgettext("csv", "signed_up_at"),
        "confirmed_at": pgettext("csv", "confirmed_at"),
        "checked_in_at": pgettext("csv", "checked_in_at"),
        "waitlist_position": pgettext("csv", "waitlist_position"),
        "in_person": pgettext("csv", "in_person"),
        "online": pgettext("csv", "online"),
        "pending": pgettext("csv", "pending"),
        "confirmed": pgettext("csv", "confirmed"),
        "waitlisted": pgettext("csv", "waitlisted"),
        "cancelled": pgettext("csv", "cancelled"),
    }
    return str(words.get(code, code))


def rows(registrations: Iterable[Registration], waitlist_positions: Mapping[int, int]) -> Iterator[list[str]]:
    """The header, then one row per registration, every cell neutralised."""
    yield [word(code) for code in HEADER]
    for r in registrations:
        position = waitlist_positions.get(r.id)
        cells = [
            r.name,
            r.email,
            r.organisation or "",
            word(r.attendance.value),
            word(r.status.value),
            _time(r.created_at),
            _time(r.confirmed_at),
            _time(r.checked_in_at),
            str(position) if position is not None else "",
        ]
        yield [neutralise(cell) for cell in cells]


def to_csv(table: Iterable[list[str]], delimiter: str = ",") -> bytes:
    """Encode rows as CSV text (CRLF line ends) in UTF-8 with a BOM."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(table)
    return buffer.getvalue().encode("utf-8")
