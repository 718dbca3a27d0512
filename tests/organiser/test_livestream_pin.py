"""Pinning an event's YouTube broadcast from the organiser area."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.extensions import db
from hub.models import Event, Livestream
from tests.organiser.conftest import CONNECT_EVENT

EVENT = "future-of-digital-health-in-norway"
URL = f"/organiser/events/{EVENT}/livestream"
VIDEO = "dQw4w9WgXcQ"


def _stream(slug: str = EVENT) -> Livestream | None:
    db.session.expire_all()
    return db.session.scalar(select(Livestream).join(Event).where(Event.slug == slug))


def _field_error(page: str) -> str:
    match = re.search(r'<p class="error" id="video-error">(.*?)</p>', page, re.S)
    assert match, "the error is shown next to the field"
    return match.group(1)


@pytest.mark.parametrize(
    "pasted",
    [
        f"https://youtu.be/{VIDEO}",
        f"https://www.youtube.com/watch?v={VIDEO}&t=42s",
        f"youtube.com/live/{VIDEO}?si=abc",
        VIDEO,
    ],
)
def test_pin_from_any_link_form(occ_client: FlaskClient, pasted: str) -> None:
    response = occ_client.post(URL, data={"video": pasted})
    assert response.status_code == 302
    stream = _stream()
    assert stream is not None
    assert (stream.video_id, stream.pinned) == (VIDEO, True)
    page = occ_client.get(URL + "?lang=en").get_data(as_text=True)
    assert f"Video {VIDEO} is pinned to this event." in page
    assert f"https://www.youtube.com/watch?v={VIDEO}" in page
    assert "Remove the pin" in page


def test_channel_link_is_refused_next_to_the_field(occ_client: FlaskClient) -> None:
    response = occ_client.post(URL + "?lang=en", data={"video": "https://www.youtube.com/@OsloCancerCluster"})
    assert response.status_code == 200
    assert "That is a channel, not a video" in _field_error(response.get_data(as_text=True))
    assert _stream() is None


def test_not_a_video_is_refused(occ_client: FlaskClient) -> None:
    response = occ_client.post(URL + "?lang=en", data={"video": "https://vimeo.com/123456"})
    page = response.get_data(as_text=True)
    assert "That is not a YouTube video link or id." in _field_error(page)
    assert 'value="https://vimeo.com/123456"' in page  # what was pasted stays to be corrected
    assert _stream() is None


def test_empty_is_refused(occ_client: FlaskClient) -> None:
    response = occ_client.post(URL + "?lang=en", data={"video": "  "})
    assert "Paste a YouTube link or a video id." in _field_error(response.get_data(as_text=True))


def test_unpin(occ_client: FlaskClient) -> None:
    occ_client.post(URL, data={"video": VIDEO})
    response = occ_client.post(URL + "/unpin")
    assert response.headers["Location"] == URL
    stream = _stream()
    assert stream is not None
    assert (stream.video_id, stream.pinned) == (None, False)
    page = occ_client.get(URL + "?lang=en").get_data(as_text=True)
    assert "The pin is removed" in page
    assert "No video is linked to this event yet." in page
    occ_client.post(URL + "/unpin")
    assert "No video was pinned to this event." in occ_client.get(URL + "?lang=en").get_data(as_text=True)


def test_get_changes_nothing(occ_client: FlaskClient) -> None:
    assert occ_client.get(URL, query_string={"video": VIDEO}).status_code == 200
    assert occ_client.get(URL + "/unpin").status_code == 405
    assert _stream() is None


def test_someone_elses_event_cannot_be_pinned(occ_client: FlaskClient) -> None:
    theirs = f"/organiser/events/{CONNECT_EVENT}/livestream"
    assert occ_client.get(theirs).status_code == 404
    assert occ_client.post(theirs, data={"video": VIDEO}).status_code == 404
    assert occ_client.post(theirs + "/unpin").status_code == 404
    assert _stream(CONNECT_EVENT) is None


def test_pinning_needs_login(client: FlaskClient, programme: object) -> None:
    response = client.post(URL, data={"video": VIDEO})
    assert response.headers["Location"].startswith("/organiser/login")
    assert _stream() is None
