"""Where a personal watch link sends its holder: the broadcast, the recording, or the event.

The link (``/watch/<token>``) names one sign-up, not a video, so it stays right when the
stream is replaced or the recording is cut: it is resolved at the moment it is followed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hub.livestream.urls import watch_url
from hub.models import Registration, RegistrationStatus


class WatchTarget(enum.StrEnum):
    LIVE = "live"  # the broadcast, while it is live
    RECORDING = "recording"  # the recording, once the broadcast has ended
    EVENT = "event"  # neither yet: the event page (with the countdown)


@dataclass(frozen=True)
class Destination:
    target: WatchTarget
    video_id: str | None = None

    @property
    def youtube_url(self) -> str | None:
        """The video on youtube.com: no token, no personal data."""
        return watch_url(self.video_id) if self.video_id else None


class WatchLinkCancelled(Exception):
    """The sign-up behind the link is cancelled: the link no longer works."""


def destination(registration: Registration) -> Destination:
    """Where the watch link of ``registration`` leads now; raises WatchLinkCancelled."""
    if registration.status is RegistrationStatus.CANCELLED:
        raise WatchLinkCancelled()
    stream = registration.event.livestream
    if stream is not None and stream.video_id:
        if stream.is_live:
            return Destination(WatchTarget.LIVE, stream.video_id)
        if stream.has_recording:
            return Destination(WatchTarget.RECORDING, stream.video_id)
    return Destination(WatchTarget.EVENT)
