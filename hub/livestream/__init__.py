"""YouTube livestreams: find the channel's broadcasts, link them to events, show their status.

``client`` wraps the YouTube Data API (the only googleapiclient importer), ``matching`` links
broadcasts to events (pure), ``sync`` writes the links, ``pins`` lets organisers pin a video,
``urls`` reads pasted YouTube links. Importing this package does not import googleapiclient.
"""

from hub.livestream.pins import InvalidVideoReference, pin_video, unpin

__all__ = ["InvalidVideoReference", "pin_video", "unpin"]
