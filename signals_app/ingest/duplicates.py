"""Near duplicates: the same author saying the same thing again, the same text in several groups.

Reads only; the inbox links the new signal to the first one.
"""

from __future__ import annotations

import re
from datetime import timedelta

from signals_app.models import Signal

WINDOW = timedelta(days=1)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MIN_TEXT = 30  # short texts ("Когда?") repeat innocently


def text_fingerprint(text: str) -> str:
    """Lower-case words only: punctuation, emoji and spacing do not make a new complaint."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def find_near_duplicate(signal: Signal) -> Signal | None:
    """The earliest signal of the last day with the same text from the same author, or the same
    long text posted elsewhere (several groups of one network)."""
    fingerprint = text_fingerprint(signal.text)
    if not fingerprint:
        return None
    since = signal.received_at - WINDOW
    candidates = Signal.objects.filter(
        region_id=signal.region_id,
        received_at__gte=since,
        received_at__lte=signal.received_at,
        duplicate_of__isnull=True,
    ).exclude(pk=signal.pk)
    if signal.author_profile_url:
        same_author = candidates.filter(author_profile_url=signal.author_profile_url).order_by(
            "received_at", "pk"
        )
        for candidate in same_author.only("id", "text", "received_at", "number")[:20]:
            if text_fingerprint(candidate.text) == fingerprint:
                return candidate
    if len(fingerprint) >= MIN_TEXT:
        same_text = candidates.filter(channel=signal.channel, text=signal.text).order_by(
            "received_at", "pk"
        )
        return same_text.only("id", "number").first()
    return None
