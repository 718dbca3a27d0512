"""YouTube livestreams: find the channel's broadcasts, link them to events, show their status.

``client`` wraps the YouTube Data API (the only googleapiclient importer), ``matching`` links
broadcasts to events (pure), ``sync`` writes the links and figures, ``quota`` keeps the units
spent, ``cadence`` says when the worker syncs, ``lifecycle`` queues the "we are live" and
"recording ready" mails, ``watch`` resolves a personal watch link, ``views`` serves it,
``pins`` lets organisers pin a video, and ``urls`` reads pasted YouTube links and builds every
YouTube address the hub shows. Importing this package does not import googleapiclient.
"""

from hub.livestream.pins import InvalidVideoReference, pin_video, unpin

__all__ = ["InvalidVideoReference", "pin_video", "unpin"]
