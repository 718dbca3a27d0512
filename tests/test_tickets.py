"""QR rendering on our side: the PNG decodes to the URL; the SVG is inline-ready markup."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from hub.tickets import qr_png, qr_svg

URL = "https://hub.example/organiser/checkin/eyJhbGciOi.abc-DEF_123"


def test_the_png_decodes_to_the_url() -> None:
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(URL))))
    assert code.text == URL


def test_the_svg_is_inline_markup_with_a_title() -> None:
    svg = qr_svg(URL, "Ticket for Kari")
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<title>Ticket for Kari</title>" in svg
    assert 'class="qr"' in svg
