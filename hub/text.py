"""Small text helpers shared by importer, feeds and services."""

from __future__ import annotations

import re
import unicodedata

_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def slugify(text: str, max_length: int = 80) -> str:
    """A readable ASCII slug: "Clarion Hotel Tyholmen Sal A" -> "clarion-hotel-tyholmen-sal-a"."""
    text = text.translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "x"


def fold(text: str) -> str:
    """Lower-case text for search, the same way on SQLite and PostgreSQL."""
    return " ".join(text.casefold().split())
