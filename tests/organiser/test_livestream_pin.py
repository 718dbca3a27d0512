"""Pinning an event's YouTube broadcast from the organiser area."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from hub.extensions import db
from hub.livestream.pins import InvalidVideoReference, pin_video
from hub.models import Account, Event, Livestream, StreamStatus
from tests.organiser.conftest import CONNECT_EVENT, T0, login

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


def _link(slug: str, video: str, *, pinned: bool) -> None:
    """Give another event a link to ``video``, as a sync (or that event's organiser) left it."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    assert event is not None
    db.session.add(
        Livestream(event=event, video_id=video, pinned=pinned, status=StreamStatus.UPCOMING, title="Theirs")
    )
    db.session.commit()


@pytest.mark.parametrize("pinned", [False, True])
def test_a_video_linked_to_someone_elses_event_is_refused_and_their_link_stays(
    occ_client: FlaskClient, pinned: bool
) -> None:
    _link(CONNECT_EVENT, VIDEO, pinned=pinned)
    response = occ_client.post(URL + "?lang=en", data={"video": f"https://youtu.be/{VIDEO}"})
    assert response.status_code == 200
    error = _field_error(response.get_data(as_text=True))
    assert "That video is already linked to another event" in error
    assert "Kan persontilpasset medisin bidra til å løse ressurskrisen" in error
    assert _stream() is None
    theirs = _stream(CONNECT_EVENT)
    assert theirs is not None
    assert (theirs.video_id, theirs.pinned, theirs.title) == (VIDEO, pinned, "Theirs")


def test_an_admin_takes_the_video_over(
    client: FlaskClient, programme: object, make_account: Callable[..., Account]
) -> None:
    _link(CONNECT_EVENT, VIDEO, pinned=True)
    make_account("admin@example.org", admin=True)
    login(client, "admin@example.org")
    response = client.post(URL, data={"video": VIDEO})
    assert response.status_code == 302
    stream = _stream()
    assert stream is not None
    assert (stream.video_id, stream.pinned) == (VIDEO, True)
    theirs = _stream(CONNECT_EVENT)
    assert theirs is not None
    assert (theirs.video_id, theirs.pinned) == (None, False)  # the next sync matches it afresh


def test_the_operator_command_takes_the_video_over(runner: FlaskCliRunner, programme: object) -> None:
    _link(CONNECT_EVENT, VIDEO, pinned=False)
    result = runner.invoke(args=["hub", "pin-livestream", EVENT, VIDEO])
    assert result.exit_code == 0, result.output
    assert f"pinned {VIDEO} to {EVENT}" in result.output
    assert f"taken from {CONNECT_EVENT}" in result.output
    stream = _stream()
    assert stream is not None
    assert (stream.video_id, stream.pinned) == (VIDEO, True)
    theirs = _stream(CONNECT_EVENT)
    assert theirs is not None
    assert theirs.video_id is None


def test_pinning_the_video_the_event_already_has_is_fine(occ_client: FlaskClient) -> None:
    _link(EVENT, VIDEO, pinned=False)
    response = occ_client.post(URL, data={"video": VIDEO})
    assert response.status_code == 302
    stream = _stream()
    assert stream is not None
    assert (stream.video_id, stream.pinned) == (VIDEO, True)


def test_pin_video_names_the_case_and_the_other_event(programme: object) -> None:
    _link(CONNECT_EVENT, VIDEO, pinned=False)
    ours = db.session.scalar(select(Event).where(Event.slug == EVENT))
    assert ours is not None
    with pytest.raises(InvalidVideoReference) as caught:
        pin_video(db.session, ours, VIDEO, T0)
    assert caught.value.code == "in_use"
    assert (
        str(caught.value)
        == f"{VIDEO} is already linked to {CONNECT_EVENT}: a video is the livestream of one event only"
    )


def test_an_organiser_moves_a_video_between_two_of_their_own_events(occ_client: FlaskClient) -> None:
    own = "fremtidens-kreftbehandling"
    _link(own, VIDEO, pinned=True)
    response = occ_client.post(URL, data={"video": VIDEO})
    assert response.status_code == 302
    stream = _stream()
    assert stream is not None
    assert (stream.video_id, stream.pinned) == (VIDEO, True)
    before = _stream(own)
    assert before is not None
    assert (before.video_id, before.pinned) == (None, False)
