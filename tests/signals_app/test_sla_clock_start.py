"""Where a deadline's clock starts: the source's moment or receipt, as each policy says."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from agencies.services import calendar_default_for_region, calendar_sync
from signals_app.models import SLAPolicy
from signals_app.sla.selectors import sla_explain
from tests.factories import SignalFactory
from tests.signals_app.test_sla_engine import YEKT, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sla_region(region):
    from signals_app.sla.defaults import sla_defaults_install

    calendar = calendar_default_for_region(region=region)
    calendar_sync(calendar=calendar, year=2026)
    sla_defaults_install(region=region)
    return region


@pytest.fixture(autouse=True)
def _pinned():
    with time_machine.travel(datetime(2026, 11, 27, 12, tzinfo=YEKT), tick=False):
        yield


def test_the_defaults_say_where_each_clock_starts(sla_region):
    starts = dict(SLAPolicy.objects.filter(region=sla_region).values_list("name", "clock_start"))
    assert starts == {
        "Социальные сети": "source", "ПОС и виджет": "source", "Прочие каналы": "source",
        "Обращения по 59-ФЗ": "receipt",
    }  # fmt: skip


def test_a_pos_export_imported_a_week_late_keeps_the_citizens_waiting_time(sla_region):
    signal = SignalFactory(region=sla_region, channel="pos", posted_at=at(2026, 11, 20, 10, 0),
                           received_at=at(2026, 11, 27, 12, 0))  # fmt: skip
    assert signal.sla_started_at == at(2026, 11, 20, 10, 0)
    assert signal.reaction_due_at == at(
        2026, 11, 23, 18, 0
    )  # 1 working day from Friday, not from the 27th
    explanation = sla_explain(signal)
    assert explanation["start_reason"] == "source"
    assert explanation["start"] == at(2026, 11, 20, 10, 0).isoformat()


def test_a_vk_backlog_after_an_outage_counts_from_the_posts(sla_region):
    signal = SignalFactory(region=sla_region, channel="vk", posted_at=at(2026, 11, 27, 9, 0),
                           received_at=at(2026, 11, 27, 12, 0))  # fmt: skip
    assert signal.reaction_due_at == at(2026, 11, 27, 10, 0)  # already late on arrival


@pytest.mark.parametrize(
    ("posted_at", "reason"),
    [(None, "no_source_moment"), (at(2026, 11, 28, 9, 0), "source_later")],
)
def test_without_a_usable_source_moment_the_clock_starts_at_receipt(sla_region, posted_at, reason):
    signal = SignalFactory(region=sla_region, channel="pos", posted_at=posted_at,
                           received_at=at(2026, 11, 27, 12, 0))  # fmt: skip
    assert signal.sla_started_at == at(2026, 11, 27, 12, 0)
    assert sla_explain(signal)["start_reason"] == reason


def test_59_fz_channels_count_from_registration(sla_region):
    signal = SignalFactory(region=sla_region, channel="email", posted_at=at(2026, 11, 20, 10, 0),
                           received_at=at(2026, 11, 27, 12, 0))  # fmt: skip
    assert signal.sla_version.policy.name == "Обращения по 59-ФЗ"
    assert signal.sla_started_at == at(2026, 11, 27, 12, 0)
    assert sla_explain(signal)["start_reason"] == "receipt"


def test_the_signal_page_says_which_moment_was_used_and_why(client, sla_region, analyst):
    late = SignalFactory(region=sla_region, channel="pos", posted_at=at(2026, 11, 20, 10, 0),
                         received_at=at(2026, 11, 27, 12, 0))  # fmt: skip
    appeal = SignalFactory(region=sla_region, channel="email", received_at=at(2026, 11, 27, 12, 0))
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[late.number])).content.decode()
    assert "когда оно было опубликовано в источнике, 20.11.2026 10:00" in page
    page = client.get(reverse("signals_app:signal_detail", args=[appeal.number])).content.decode()
    assert "с момента поступления (регистрации), 27.11.2026 12:00" in page


def test_a_batch_arrival_starts_the_clock_at_the_source_too(sla_region, eager, client):
    import json

    from tests.factories import SourceFactory

    SourceFactory(region=sla_region, slug="pos", channel="pos", secret="pos-token")
    item = {"external_id": "p-late", "text": "Нет воды неделю",
            "posted_at": "2026-11-20T10:00:00+05:00"}  # fmt: skip
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("ingest", args=["pos"]), json.dumps(item),
                    content_type="application/json", HTTP_AUTHORIZATION="Token pos-token")  # fmt: skip
    from signals_app.models import Signal

    signal = Signal.objects.get(external_id="p-late")
    assert signal.sla_started_at == at(2026, 11, 20, 10, 0)
