"""A fake YouTube Data API per test, and an app configured to use it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_config
from tests.livestream.fake_youtube import API_KEY, FakeYouTube

# Before the festival: every broadcast of the fixtures is still upcoming.
BEFORE = datetime(2023, 8, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube().start()
    yield fake
    fake.stop()


@pytest.fixture
def app_config(tmp_path: Path, youtube: FakeYouTube) -> dict[str, Any]:
    return make_config(
        tmp_path,
        YOUTUBE_API_KEY=API_KEY,
        YOUTUBE_API_ENDPOINT=youtube.endpoint,
        YOUTUBE_CHANNEL="@OsloCancerCluster",
    )
