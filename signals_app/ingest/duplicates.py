"""Near duplicates: the same author saying the same thing again, the same text in several groups.

Reads only; the inbox links the new signal to the first one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from hashlib import md5
from typing import NamedTuple

from django.db import connection

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


class Candidate(NamedTuple):
    """The few columns of an earlier signal that the checks read."""

    pk: int
    number: str
    text: str
    received_at: datetime
    author_profile_url: str
    channel: str
    region_id: int


class NearDuplicateIndex:
    """The same rules as find_near_duplicate, for many new signals at once: the window's
    candidates are read in one query, and each new signal is added as it is decided, so a
    repeat inside one batch is found too. Signals must be offered in order of arrival."""

    def __init__(self, rows: list[Candidate]) -> None:
        self.by_author: dict[tuple[int, str], list[Signal | Candidate]] = {}
        self.by_text: dict[tuple[int, str, str], list[Signal | Candidate]] = {}
        for row in rows:
            self.add(row)

    @classmethod
    def load(cls, signals: list[Signal]) -> NearDuplicateIndex:
        if not signals:
            return cls([])
        since = min(signal.received_at for signal in signals) - WINDOW
        until = max(signal.received_at for signal in signals)
        regions = sorted({signal.region_id for signal in signals})
        urls = sorted(
            {signal.author_profile_url for signal in signals if signal.author_profile_url}
        )
        hashes = sorted(
            {
                md5(signal.text.encode(), usedforsecurity=False).hexdigest()
                for signal in signals
                if len(text_fingerprint(signal.text)) >= MIN_TEXT
            }
        )
        if not urls and not hashes:
            return cls([])
        # Each lookup is driven by its own index whatever the table's statistics say (a burst of
        # new rows makes the time window look small to the planner): per author, the first 20 of the window;
        # per text hash, every match, the window checked here.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT s.id, s.number, s.text, s.received_at, s.author_profile_url, s.channel,
                       s.region_id
                  FROM unnest(%s::text[]) AS u(url)
                CROSS JOIN LATERAL (
                    SELECT * FROM signals_app_signal s
                     WHERE s.author_profile_url = u.url AND s.author_profile_url <> ''
                       AND s.received_at >= %s AND s.received_at <= %s
                     ORDER BY s.author_profile_url, s.received_at LIMIT 20
                ) s
                WHERE s.region_id = ANY(%s) AND s.duplicate_of_id IS NULL
                UNION
                SELECT s.id, s.number, s.text, s.received_at, s.author_profile_url, s.channel,
                       s.region_id
                  FROM signals_app_signal s
                 WHERE md5(s.text) = ANY(%s::text[]) AND s.region_id = ANY(%s)
                   AND s.duplicate_of_id IS NULL
                """,
                [urls, since, until, regions, hashes, regions],
            )
            rows = [Candidate(*row) for row in cursor.fetchall() if since <= row[3] <= until]
        rows.sort(key=lambda row: (row.received_at, row.pk))
        return cls(rows)

    def add(self, signal: Signal | Candidate) -> None:
        if signal.author_profile_url:
            self.by_author.setdefault((signal.region_id, signal.author_profile_url), []).append(
                signal
            )
        self.by_text.setdefault((signal.region_id, signal.channel, signal.text), []).append(signal)

    def find(self, signal: Signal) -> Signal | Candidate | None:
        fingerprint = text_fingerprint(signal.text)
        if not fingerprint:
            return None
        since = signal.received_at - WINDOW

        def in_window(candidate: Signal | Candidate) -> bool:
            return since <= candidate.received_at <= signal.received_at

        if signal.author_profile_url:
            same_author = [
                candidate
                for candidate in self.by_author.get(
                    (signal.region_id, signal.author_profile_url), []
                )
                if in_window(candidate)
            ][:20]
            for candidate in same_author:
                if text_fingerprint(candidate.text) == fingerprint:
                    return candidate
        if len(fingerprint) >= MIN_TEXT:
            for candidate in self.by_text.get((signal.region_id, signal.channel, signal.text), []):
                if in_window(candidate):
                    return candidate
        return None
