"""Early warning: the detector's arithmetic on known series, one alert per spike however many
runs see it, the analysts' decisions, the pages and the morning letter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from signals_app.analytics import detect
from signals_app.analytics.early_warning import (
    alert_confirm,
    alert_dismiss,
    alerts_detect,
    alerts_morning_digest,
)
from signals_app.analytics.models import Alert, DayCount, HourCount
from signals_app.errors import ActionForbidden, InvalidInput
from signals_app.models import MassIncidentProposal
from signals_app.sla.models import Notification
from signals_app.workflow.services.create import SignalPlan, signals_create_many
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Yekaterinburg")
NOW = datetime(2027, 3, 10, 15, 30, tzinfo=ZONE)  # a Wednesday afternoon


# --- the arithmetic ------------------------------------------------------------------------


def test_a_burst_far_above_the_usual_is_found_and_the_usual_noise_is_not():
    rng = np.random.default_rng(5)
    expected = np.full((40, detect.RECENT_HOURS), 0.5)
    hours = rng.poisson(expected).astype(float)
    hours[7, -6:] += 6  # 36 extra signals in six hours where three are usual
    found = detect.bursts(hours, expected, np.ones(40))
    assert [(f.series, f.kind) for f in found] == [(7, "burst")]
    assert found[0].observed >= 36 and found[0].ratio > 5
    assert found[0].hours in detect.WINDOWS


def test_a_few_signals_are_never_a_burst_however_rare():
    expected = np.full((1, detect.RECENT_HOURS), 0.01)
    hours = np.zeros((1, detect.RECENT_HOURS))
    hours[0, -1] = detect.MIN_COUNT - 1
    assert detect.bursts(hours, expected, np.ones(1)) == []


def test_clumping_raises_the_bar():
    expected = np.full((1, detect.RECENT_HOURS), 1.0)
    hours = np.ones((1, detect.RECENT_HOURS))
    hours[0, -24:] = 3.0  # 72 in a day where 24 are usual
    assert detect.bursts(hours, expected, np.array([1.0]))
    assert detect.bursts(hours, expected, np.array([4.0])) == []


def test_a_level_shift_is_a_change_point_in_the_days():
    days = np.full((2, detect.LEVEL_DAYS), 20.0)
    days[1, -7:] = 38  # a week at 1.9 × the usual: no single day stands out much
    found = detect.level_shifts(days, np.full((2, detect.LEVEL_DAYS), 20.0), np.ones(2))
    assert [(f.series, f.kind, f.hours) for f in found] == [(1, "level", 7 * 24)]
    unwatched = np.full((2, detect.LEVEL_DAYS), np.inf)
    assert detect.level_shifts(days, unwatched, np.ones(2)) == []


def test_the_week_shape_follows_quiet_weekends():
    weekdays = [day % 7 for day in range(28)]
    totals = np.asarray([80.0 if day < 5 else 40.0 for day in weekdays])
    shape = detect.week_shape(totals, weekdays)
    assert shape[0] == pytest.approx(shape[4], rel=0.01)
    assert shape[6] / shape[0] == pytest.approx(0.5, rel=0.01)


def test_one_alert_per_spike_and_a_quiet_day_ends_it():
    keys = [("m", 1), ("m", 2), ("s", 9)]
    burst = detect.Finding(0, "burst", 30, 5.0, 1e-9, 6)
    region_view = detect.Finding(2, "burst", 30, 5.0, 1e-9, 6)
    now = datetime(2027, 3, 10, 12, tzinfo=UTC)

    def covered(key):  # type: ignore[no-untyped-def]
        return [("m", 1), ("m", 2)] if key[0] == "s" else []

    first = detect.episodes([burst, region_view], keys=keys, running={}, now=now,
                            covered_by=covered)  # fmt: skip
    assert [f.series for f in first.new] == [0]  # the region's view of it is the same spike
    again = detect.episodes([burst], keys=keys, running={("m", 1): now}, now=now)
    assert again.new == [] and [f.series for f in again.seen] == [0]
    later = now + detect.QUIET
    assert detect.episodes([], keys=keys, running={("m", 1): now}, now=later).ended == [("m", 1)]
    early = now + detect.QUIET - timedelta(minutes=15)
    assert detect.episodes([], keys=keys, running={("m", 1): now}, now=early).ended == []


# --- the service ---------------------------------------------------------------------------


def history(region, municipality, category, *, days=42, per_hour=1):  # type: ignore[no-untyped-def]
    """Ten signals a day for `days` days before today, one an hour from 08:00 to 17:59."""
    today = NOW.date()
    hours, daily = [], []
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        key = {"region": region, "municipality": municipality, "topic_id": category.parent_id,
               "subtopic": category, "channel": "vk"}  # fmt: skip
        daily.append(DayCount(day=day, count=10 * per_hour, **key))
        for hour in range(8, 18):
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)
            hours.append(HourCount(hour=moment, count=per_hour, **key))
    DayCount.objects.bulk_create(daily)
    HourCount.objects.bulk_create(hours)


def spike(region, municipality, category, count=48):  # type: ignore[no-untyped-def]
    """`count` real signals over the six hours before NOW (the batch write counts them)."""
    start = NOW - timedelta(hours=5, minutes=50)
    step = timedelta(hours=5, minutes=45) / count
    signals_create_many([
        SignalPlan(fields={"region": region, "municipality": municipality, "category": category,
                           "channel": "vk", "text": f"Нет воды, дом {n}",
                           "received_at": start + n * step})
        for n in range(count)
    ])  # fmt: skip


@pytest.fixture
def warned(region, municipality, category, analyst):  # type: ignore[no-untyped-def]
    cache.clear()
    history(region, municipality, category)
    spike(region, municipality, category)
    with time_machine.travel(NOW, tick=False):
        result = alerts_detect(region=region)
    assert result.opened == 1
    return Alert.objects.get()


def test_a_spike_opens_one_alert_that_says_what_where_how_much_and_since_when(
    warned, region, municipality, category, analyst
):
    alert = warned
    assert (alert.municipality_id, alert.topic_id, alert.subtopic_id) == (
        municipality.pk, category.parent_id, None,
    )  # fmt: skip
    assert alert.kind == "burst" and alert.state == "open" and alert.ended_at is None
    assert alert.observed >= 40 and alert.expected < 8 and alert.peak_ratio > 5
    assert NOW - timedelta(hours=49) <= alert.since <= NOW - timedelta(hours=3)
    note = Notification.objects.get(user=analyst)
    assert note.kind == "alert" and "ЖКХ" in note.title and municipality.name in note.title
    assert note.body == reverse("signals_app:alert_detail", args=[alert.pk])
    assert note.emailed_at is not None  # the morning letter carries it, not the minute digest


def test_later_runs_see_the_same_spike_and_a_quiet_day_ends_it(warned, region):
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        assert alerts_detect(region=region).opened == 0
    warned.refresh_from_db()
    assert warned.seen_at == NOW + timedelta(minutes=15) and warned.ended_at is None
    assert Notification.objects.count() == 1
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert alerts_detect(region=region).ended == 1
    warned.refresh_from_db()
    assert warned.ended_at == NOW + timedelta(days=3)
    assert Alert.objects.count() == 1


def test_no_alert_without_a_spike_and_none_for_another_place(region, municipality, category):
    cache.clear()
    history(region, municipality, category)
    elsewhere = MunicipalityFactory(region=region)
    spike(region, elsewhere, category, count=3)
    with time_machine.travel(NOW, tick=False):
        assert alerts_detect(region=region).opened == 0
    assert not Alert.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_open_the_spike_once(region, municipality, category):
    from tests.signals_app.test_concurrency import _race

    cache.clear()
    history(region, municipality, category)
    spike(region, municipality, category)

    def run():  # type: ignore[no-untyped-def]
        with time_machine.travel(NOW, tick=False):
            return alerts_detect(region=region).opened

    results = _race(run, run)
    assert sorted(results) == [0, 1]
    assert Alert.objects.count() == 1


def test_confirming_may_propose_its_signals_as_a_mass_incident(warned, analyst):
    decided = alert_confirm(alert=warned, actor=analyst, propose=True)
    assert decided.state == "confirmed" and decided.decided_by == analyst
    proposal = MassIncidentProposal.objects.get()
    assert decided.proposal == proposal and proposal.state == "proposed"
    assert proposal.signals.count() == 48
    with pytest.raises(InvalidInput):
        alert_dismiss(alert=warned, actor=analyst, reason="expected")


def test_dismissing_needs_a_reason_and_only_the_region_s_analysts_decide(
    warned, analyst, supervisor, foreign_analyst
):
    with pytest.raises(InvalidInput):
        alert_dismiss(alert=warned, actor=analyst, reason="")
    with pytest.raises(InvalidInput):
        alert_dismiss(alert=warned, actor=analyst, reason="other", comment="  ")
    for outsider in (supervisor, foreign_analyst):
        with pytest.raises(ActionForbidden):
            alert_dismiss(alert=warned, actor=outsider, reason="expected")
        with pytest.raises(ActionForbidden):
            alert_confirm(alert=warned, actor=outsider)
    warned.refresh_from_db()
    assert warned.state == "open"
    alert_dismiss(alert=warned, actor=analyst, reason="known", comment="Авария на сетях")
    warned.refresh_from_db()
    assert (warned.state, warned.reason, warned.comment) == (
        "dismissed",
        "known",
        "Авария на сетях",
    )
    assert not MassIncidentProposal.objects.exists()


# --- the pages -----------------------------------------------------------------------------


def test_the_pages_show_the_figures_the_signals_and_the_queue_link(
    client, warned, analyst, municipality, category
):
    with time_machine.travel(NOW, tick=False):
        client.force_login(analyst)
        listing = client.get(reverse("signals_app:alert_list"))
        page = client.get(reverse("signals_app:alert_detail", args=[warned.pk]))
    assert listing.status_code == 200 and "ЖКХ" in listing.content.decode()
    body = page.content.decode()
    assert page.status_code == 200
    assert "Нет воды, дом 47" in body  # the latest signal among the samples
    assert f"municipality={municipality.pk}" in body and f"category={category.parent_id}" in body
    assert "received_from=2027-03-" in body
    assert 'name="reason"' in body  # an analyst decides


def test_the_queue_link_shows_the_alert_s_signals(client, warned, analyst):
    from signals_app.analytics.early_warning import alert_queue_query

    with time_machine.travel(NOW, tick=False):
        client.force_login(analyst)
        queue = client.get(reverse("signals_app:signal_list") + "?" + alert_queue_query(warned))
    assert queue.status_code == 200
    assert queue.content.decode().count("Нет воды, дом") >= 40


def test_supervisors_read_without_deciding_and_agency_staff_see_nothing(
    client, warned, supervisor, executor, foreign_analyst
):
    with time_machine.travel(NOW, tick=False):
        client.force_login(supervisor)
        page = client.get(reverse("signals_app:alert_detail", args=[warned.pk]))
        refused = client.post(reverse("signals_app:alert_decide", args=[warned.pk, "dismiss"]),
                              {"reason": "expected"})  # fmt: skip
        client.force_login(executor)
        hidden = client.get(reverse("signals_app:alert_list"))
        client.force_login(foreign_analyst)
        foreign = client.get(reverse("signals_app:alert_detail", args=[warned.pk]))
    assert page.status_code == 200 and 'name="reason"' not in page.content.decode()
    assert refused.status_code == 302
    warned.refresh_from_db()
    assert warned.state == "open"
    assert hidden.status_code == 403 and foreign.status_code == 404


def test_a_decision_from_the_page(client, warned, analyst):
    with time_machine.travel(NOW, tick=False):
        client.force_login(analyst)
        bad = client.post(reverse("signals_app:alert_decide", args=[warned.pk, "dismiss"]), {})
        good = client.post(reverse("signals_app:alert_decide", args=[warned.pk, "confirm"]),
                           {"propose": "1"})  # fmt: skip
    assert bad.status_code == 302 and good.status_code == 302
    assert good["Location"] == reverse("signals_app:mass_proposal_list")
    warned.refresh_from_db()
    assert warned.state == "confirmed" and warned.proposal_id is not None


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_reads_a_constant_number_of_queries(
    client, django_assert_num_queries, region, category, analyst, count
):
    for n in range(count):
        place = MunicipalityFactory(region=region)
        Alert.objects.create(region=region, municipality=place, topic_id=category.parent_id,
                             kind="burst", observed=30 + n, expected=5.0, peak_ratio=6.0,
                             p_value=1e-9, since=NOW, detected_at=NOW, seen_at=NOW)  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        client.force_login(analyst)
        client.get(reverse("signals_app:alert_list"))  # the session and context warm up
        with django_assert_num_queries(7):
            response = client.get(reverse("signals_app:alert_list"))
    assert response.status_code == 200
    assert len(re.findall(r'href="/signals/alerts/\d+/"', response.content.decode())) == count


# --- the morning letter --------------------------------------------------------------------


def test_the_morning_letter_goes_once_at_eight_local(warned, analyst, region):
    analyst.email = "analyst@example.org"
    analyst.save(update_fields=["email"])
    cache.delete_many([f"analytics:digest:{region.pk}:2027-03-11"])
    at_seven = datetime(2027, 3, 11, 7, 50, tzinfo=ZONE)
    assert alerts_morning_digest(now=at_seven) == 0
    at_eight = datetime(2027, 3, 11, 8, 5, tzinfo=ZONE)
    assert alerts_morning_digest(now=at_eight) == 1
    assert alerts_morning_digest(now=at_eight + timedelta(minutes=15)) == 0
    (letter,) = mail.outbox
    assert letter.to == ["analyst@example.org"]
    assert "ЖКХ" in letter.body and f"/alerts/{warned.pk}/" in letter.body
    assert letter.extra_headers["Message-ID"].startswith(f"<alerts-{region.pk}-20270311-")
