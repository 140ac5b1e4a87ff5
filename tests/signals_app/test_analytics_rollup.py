"""The analytics' counts: kept by the batch write for every signal born (hour in UTC, day in the
region's calendar, subtopic under its topic), equal to a recount from the signals, and right
when two batches write the same counts at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum

from signals_app.analytics.models import DayCount, HourCount
from signals_app.analytics.rollup import counts_rebuild
from signals_app.workflow.services import signal_create
from signals_app.workflow.services.create import SignalPlan, signals_create_many
from tests.signals_app.test_concurrency import _race

pytestmark = pytest.mark.django_db
EVENING = datetime(2027, 3, 1, 19, 30, tzinfo=UTC)  # 00:30 on 2 March in UTC+5


def rows(model):  # type: ignore[no-untyped-def]
    period = "hour" if model is HourCount else "day"
    found = model.objects.values_list(period, "region_id", "municipality_id", "topic_id",
                                      "subtopic_id", "channel", "count")  # fmt: skip
    return sorted(found, key=lambda row: tuple(-1 if value is None else value for value in row))


def plans(region, count, **fields):  # type: ignore[no-untyped-def]
    return [SignalPlan(fields={"region": region, "channel": "vk", "text": f"Жалоба {n}",
                               "received_at": EVENING, **fields}) for n in range(count)]  # fmt: skip


def test_every_signal_born_is_counted_by_hour_and_local_day(region, municipality, category):
    signals_create_many(plans(region, 3, municipality=municipality, category=category))
    signal_create(
        region=region, channel="pos", text="Без рубрики", received_at=EVENING - timedelta(hours=1)
    )
    topic = category.parent_id
    assert rows(HourCount) == [
        (EVENING.replace(hour=18, minute=0), region.pk, None, None, None, "pos", 1),
        (EVENING.replace(minute=0), region.pk, municipality.pk, topic, category.pk, "vk", 3),
    ]
    local = [(day.isoformat(), count) for day, *_rest, count in rows(DayCount)]
    # The region's days: 18:30 UTC is 23:30 on 1 March there, 19:30 UTC already 2 March.
    assert local == [("2027-03-01", 1), ("2027-03-02", 3)]
    signals_create_many(plans(region, 2, municipality=municipality, category=category))
    assert HourCount.objects.get(channel="vk").count == 5


def test_a_recount_gives_the_same_rows_and_spares_other_regions(
    region, other_region, municipality, category
):
    signals_create_many(plans(region, 4, municipality=municipality, category=category))
    signals_create_many(plans(region, 2, channel="telegram"))
    signals_create_many(plans(other_region, 3))
    kept_hours, kept_days = rows(HourCount), rows(DayCount)
    HourCount.objects.update(count=999)
    counts_rebuild([region.pk])
    assert [row for row in rows(HourCount) if row[1] == region.pk] == [
        row for row in kept_hours if row[1] == region.pk
    ]
    assert HourCount.objects.get(region=other_region).count == 999  # untouched
    call_command("analytics_rollup")
    assert (rows(HourCount), rows(DayCount)) == (kept_hours, kept_days)
    assert DayCount.objects.aggregate(total=Sum("count"))["total"] == 9


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_add_up(region, municipality):
    outcomes = _race(
        lambda: signals_create_many(plans(region, 50, municipality=municipality)),
        lambda: signals_create_many(plans(region, 70, municipality=municipality)),
    )
    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    assert HourCount.objects.get().count == 120 and DayCount.objects.get().count == 120


def test_an_unknown_region_code_is_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("analytics_rollup", region=["00"])


def test_a_new_category_or_channel_moves_the_count(region, municipality, category, analyst):
    from signals_app.models import Category
    from signals_app.workflow.services import signal_change_category, signal_change_channel

    [signal] = signals_create_many(plans(region, 1, municipality=municipality))
    signals_create_many(plans(region, 2, municipality=municipality))
    signal_change_category(signal=signal.pk, category=category, actor=analyst)
    hours = {(row[3], row[4], row[5]): row[6] for row in rows(HourCount)}
    assert hours == {(None, None, "vk"): 2, (category.parent_id, category.pk, "vk"): 1}
    signal_change_channel(signal=signal.pk, channel="pos", actor=analyst)
    days = {(row[3], row[5]): row[6] for row in rows(DayCount)}
    assert days == {(None, "vk"): 2, (category.parent_id, "vk"): 0, (category.parent_id, "pos"): 1}
    other = Category.objects.create(region=region, parent=category.parent, code="x", name="Прочее")
    signal_change_category(signal=signal.pk, category=other, actor=analyst)
    assert HourCount.objects.get(subtopic=other).count == 1
    assert HourCount.objects.filter(subtopic=category).aggregate(total=Sum("count"))["total"] == 0
    counts_rebuild()  # the recount agrees with what the moves kept (zero rows aside)
    assert {(row[4], row[5]): row[6] for row in rows(HourCount)} == {
        (None, "vk"): 2,
        (other.pk, "pos"): 1,
    }
