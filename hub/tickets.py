"""QR tickets: a signed check-in URL for one sign-up, drawn as a QR code on our own side (segno).

The code encodes ``BASE_URL/organiser/checkin/<token>``: an organiser of the event who scans
it sees the attendee with one button, anyone else gets nothing (the organiser area needs a
login, and the account must see the event). The token is signed with the app's secret key
and its own salt, so it never confirms or cancels anything.
"""

from __future__ import annotations

import base64
import io

import segno

# The Content-ID of the ticket image in a mail (``<img src="cid:ticket">``).
TICKET_CID = "ticket@arendalsuka-hub"


def _code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def qr_png(url: str, scale: int = 6) -> bytes:
    """A PNG of the QR code (for mail: clients show PNG, not SVG)."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, title: str) -> str:
    """An inline SVG of the QR code for a page (no XML declaration; scales with CSS)."""
    out = io.BytesIO()
    _code(url).save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        title=title,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
        border=4,
    )
    return out.getvalue().decode("utf-8")


def ticket_attachment(url: str) -> dict[str, str]:
    """The ticket as an inline mail attachment (base64: outbox attachments are stored as text)."""
    return {
        "filename": "ticket.png",
        "content_type": "image/png",
        "data": base64.b64encode(qr_png(url)).decode("ascii"),
        "encoding": "base64",
        "content_id": TICKET_CID,
    }
