"""The counts of signals by hour and by local day (floor 2: written by the batch write, in its
transaction, for every signal born — the intakes, the imports, the demo's history alike).

`counts_add(signals)` groups the batch in memory and adds it with one upsert per table (keys
sorted, so two batches at once lock the same rows in the same order); `counts_rebuild()`
recounts from the signal table — the one place that scans it — while the signals' inserts
wait (`LOCK … IN SHARE MODE`), so no batch is counted twice or lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from agencies.models import Region
from signals_app.analytics.models import DayCount, HourCount
from signals_app.models import Category, Signal

COLUMNS = ("region_id", "municipality_id", "topic_id", "subtopic_id", "channel")


def _topics(category_ids: Iterable[int]) -> dict[int | None, tuple[int | None, int | None]]:
    """category id → (topic, subtopic): a subtopic counts under its topic too."""
    found: dict[int | None, tuple[int | None, int | None]] = {}
    for pk, level, parent in Category.objects.filter(pk__in=set(category_ids)).values_list(
        "pk", "level", "parent_id"
    ):
        found[pk] = (parent, pk) if level == 2 and parent else (pk, None)
    return found


def _order(item: tuple[tuple[Any, ...], int]) -> tuple[Any, ...]:
    return tuple(-1 if value is None else value for value in item[0])


def _upsert(table: str, period: str, cast: str, rows: list[tuple[tuple[Any, ...], int]]) -> None:
    if not rows:
        return
    columns = list(zip(*(key for key, _count in rows), strict=True))
    counts = [count for _key, count in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({period}, {", ".join(COLUMNS)}, count)
            SELECT * FROM unnest(%s::{cast}[], %s::bigint[], %s::bigint[], %s::bigint[],
                                 %s::bigint[], %s::text[], %s::integer[])
            ON CONFLICT ({period}, {", ".join(COLUMNS)})
            DO UPDATE SET count = {table}.count + EXCLUDED.count
            """,  # noqa: S608 - the table and column names are this module's constants
            [*(list(column) for column in columns), counts],
        )


def counts_add(signals: Sequence[Signal]) -> None:
    """Add a batch of new signals to the hour and day counts (two statements)."""
    if not signals:
        return
    topics = _topics(signal.category_id for signal in signals if signal.category_id)
    zones = {
        pk: ZoneInfo(name)
        for pk, name in Region.objects.filter(
            pk__in={signal.region_id for signal in signals}
        ).values_list("pk", "time_zone")
    }
    hours: Counter[tuple[Any, ...]] = Counter()
    days: Counter[tuple[Any, ...]] = Counter()
    for signal in signals:
        topic, subtopic = topics.get(signal.category_id, (None, None))
        key = (signal.region_id, signal.municipality_id, topic, subtopic, signal.channel)
        moment: datetime = signal.received_at
        hours[(moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0), *key)] += 1
        local: date = moment.astimezone(zones[signal.region_id]).date()
        days[(local, *key)] += 1
    _upsert(HourCount._meta.db_table, "hour", "timestamptz", sorted(hours.items(), key=_order))
    _upsert(DayCount._meta.db_table, "day", "date", sorted(days.items(), key=_order))


def counts_move(signal: Signal, *, category_id: int | None, channel: str) -> None:
    """A signal's category or channel changed after it was counted: one less where it was
    (never below zero: a count rebuilt meanwhile may not have it), one more where it is."""
    old = Signal(region_id=signal.region_id, municipality_id=signal.municipality_id,
                 category_id=category_id, channel=channel, received_at=signal.received_at)  # fmt: skip
    topics = _topics(item for item in (category_id, signal.category_id) if item)
    zone = ZoneInfo(Region.objects.values_list("time_zone", flat=True).get(pk=signal.region_id))
    moment = signal.received_at
    periods = (
        (HourCount._meta.db_table, "hour",
         moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)),
        (DayCount._meta.db_table, "day", moment.astimezone(zone).date()),
    )  # fmt: skip
    topic, subtopic = topics.get(old.category_id, (None, None))
    key = [old.region_id, old.municipality_id, topic, subtopic, old.channel]
    with connection.cursor() as cursor:
        for table, period, value in periods:
            cursor.execute(
                f"""
                UPDATE {table} SET count = greatest(count - 1, 0)
                WHERE {period} = %s AND region_id = %s
                  AND municipality_id IS NOT DISTINCT FROM %s AND topic_id IS NOT DISTINCT FROM %s
                  AND subtopic_id IS NOT DISTINCT FROM %s AND channel = %s
                """,  # noqa: S608 - the table and column names are this module's constants
                [value, *key],
            )
    counts_add([signal])


REBUILD = """
    INSERT INTO {table} ({period}, region_id, municipality_id, topic_id, subtopic_id, channel,
                         count)
    SELECT {expression}, s.region_id, s.municipality_id,
           CASE WHEN c.level = 2 THEN c.parent_id ELSE c.id END,
           CASE WHEN c.level = 2 THEN c.id END, s.channel, count(*)
    FROM signals_app_signal s
    JOIN agencies_region r ON r.id = s.region_id
    LEFT JOIN signals_app_category c ON c.id = s.category_id
    WHERE %s::bigint[] IS NULL OR s.region_id = ANY(%s::bigint[])
    GROUP BY 1, 2, 3, 4, 5, 6
"""


@transaction.atomic
def counts_rebuild(region_ids: list[int] | None = None) -> int:
    """Recount the hours and days of these regions (all: None) from the signals; the rows
    written. New signals wait until it commits."""
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Signal._meta.db_table} IN SHARE MODE")
        for model, period, expression in (
            (HourCount, "hour", "date_trunc('hour', s.received_at)"),
            (DayCount, "day", "(s.received_at AT TIME ZONE r.time_zone)::date"),
        ):
            table = model._meta.db_table
            if region_ids is None:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's table
            else:
                cursor.execute(f"DELETE FROM {table} WHERE region_id = ANY(%s)",  # noqa: S608
                               [region_ids])  # fmt: skip
            cursor.execute(REBUILD.format(table=table, period=period, expression=expression),
                           [region_ids, region_ids])  # fmt: skip
            written += cursor.rowcount
    return written
