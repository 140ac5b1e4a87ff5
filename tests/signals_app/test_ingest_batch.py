"""The batch path reaches the same signals as the one-message path, and survives bad messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from agencies.models import Membership, OfficialPage
from signals_app.choices import Status
from signals_app.ingest import process as ingest_process
from signals_app.ingest import services as ingest
from signals_app.ingest.process import inbound_process_batch
from signals_app.models import (
    ClassificationRule,
    InboundMessage,
    RoutingRule,
    Signal,
    SignalEvent,
)
from signals_app.sla.defaults import sla_defaults_install
from tests.factories import (
    AgencyFactory,
    CategoryFactory,
    MunicipalityFactory,
    SignalFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LONG = "Во дворе дома на улице Ленина третью неделю не вывозят мусор, контейнеры переполнены"


@pytest.fixture
def world(region):
    sla_defaults_install(region=region)
    zhkh = CategoryFactory(region=region, code="zhkh", name="ЖКХ")
    water = CategoryFactory(region=region, code="zhkh-water", name="Вода", parent=zhkh)
    waste = CategoryFactory(region=region, code="zhkh-waste", name="Мусор", parent=zhkh)
    roads = CategoryFactory(region=region, code="roads", name="Дороги")
    town = MunicipalityFactory(region=region, name="Копейск", oktmo="75728000")
    utility = AgencyFactory(region=region, name="Водоканал")
    operator = AgencyFactory(region=region, name="Регоператор")
    roads_agency = AgencyFactory(region=region, name="Дорожники")
    executor = UserFactory(username="road-executor")
    Membership.objects.create(user=executor, agency=roads_agency, role="executor")
    coordinator = UserFactory(username="utility-coordinator")
    Membership.objects.create(user=coordinator, agency=utility, role="coordinator")
    ClassificationRule.objects.create(region=region, category=water, keywords="вода, воды", order=1)
    ClassificationRule.objects.create(region=region, category=waste, keywords="мусор", order=2)
    RoutingRule.objects.create(
        region=region, order=1, category=zhkh, municipality=town, agency=utility
    )
    RoutingRule.objects.create(region=region, order=2, category=waste, agency=operator)
    RoutingRule.objects.create(
        region=region, order=3, keywords="яма", agency=roads_agency, executor=executor
    )
    page_agency = AgencyFactory(region=region, name="Администрация Копейска")
    OfficialPage.objects.create(
        agency=page_agency, network="vk", external_id="555", name="Копейск", url="https://vk.com/k"
    )
    return {"roads": roads}


def payloads():
    base = {"posted_at": "2026-11-24T10:00:00+05:00"}
    author = {"name": "Иван", "profile_url": "https://vk.com/id1"}
    return [
        ("a1", base | {"text": "Нет воды третий день", "municipality": "75728000"}),
        ("a2", base | {"text": "Нет воды третий день!", "author": author}),
        ("a3", base | {"text": "нет  воды третий день", "author": author}),  # same author again
        ("a4", base | {"text": LONG}),
        ("a5", base | {"text": LONG}),  # the same long text posted again
        (
            "a6",
            base
            | {
                "text": "Огромная яма на проспекте",
                "attachments": [{"url": "https://e.org/1.jpg"}],
            },
        ),
        ("a7", base | {"text": "Светофор не работает", "category": "roads"}),
        ("a8", base | {"text": "Шумят соседи"}),
        ("a9", {"text": ""}),  # empty: fails
        ("a10", base | {"text": "Сломана лавочка", "lat": 55.1}),  # lat without lon: fails
    ]


def snapshot():
    def key(signal):
        return signal.external_id if signal else None

    rows = {}
    for signal in Signal.objects.select_related("duplicate_of").order_by("external_id"):
        kinds = sorted(
            set(signal.events.values_list("kind", flat=True)) - {SignalEvent.Kind.SLA_RECOMPUTED}
        )
        rows[signal.external_id] = (
            signal.status, signal.agency_id, signal.assignee_id, signal.category_id,
            signal.municipality_id, key(signal.duplicate_of), signal.rejection_reason[:14],
            signal.sla_version_id, signal.reaction_due_at, signal.answer_due_at,
            signal.resolution_due_at, signal.next_deadline_at, signal.sla_next_check_at is None,
            signal.attachments.count(), kinds,
            sorted(signal.notifications.values_list("user__username", "kind")),
        )  # fmt: skip
    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    return rows, states


def run(process, region):
    source = SourceFactory(region=region, slug="api-x", channel="api")
    ids = [
        ingest.inbound_store(source=source, external_id=key, payload=payload).message.pk
        for key, payload in payloads()
    ]
    process(ids)
    return snapshot()


class Rollback(Exception):
    pass


def test_the_batch_reaches_the_same_end_state_as_one_by_one(region, world):
    results = {}
    # Both runs receive their messages at the same moment, so their deadlines can be compared.
    moment = datetime(2026, 11, 24, 10, 5, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    for name, process in (
        ("single", lambda ids: [ingest_process.inbound_process(message_id=pk) for pk in ids]),
        ("batch", lambda ids: inbound_process_batch(message_ids=ids)),
    ):
        try:
            with time_machine.travel(moment, tick=False), transaction.atomic():
                results[name] = run(process, region)
                raise Rollback
        except Rollback:
            pass

    single, batch = results["single"], results["batch"]
    for key in single[0]:
        assert batch[0][key] == single[0][key], key
    assert batch == single
    rows, states = batch
    assert states["a9"] == states["a10"] == InboundMessage.State.FAILED
    assert rows["a3"][0] == Status.REJECTED and rows["a3"][5] == "a2"
    assert rows["a5"][5] == "a4"
    assert rows["a1"][0] == Status.IN_PROGRESS  # water in Kopeisk → the utility
    assert rows["a6"][2] is not None  # the road rule's executor
    assert rows["a6"][13] == 1
    assert rows["a1"][15] == [("utility-coordinator", "arrived")]  # its agency's coordinator
    assert rows["a6"][15] == [("road-executor", "arrived")]  # the executor the rule named
    assert rows["a8"][15] == []  # unrouted: it stays with the analysts
    assert rows["a8"][0] == Status.NEW and rows["a8"][3] is None


def test_a_repeat_of_an_earlier_signal_and_redeliveries_in_a_batch(region, world):
    source = SourceFactory(region=region, slug="api-y", channel="api")
    earlier = SignalFactory(
        region=region, channel="api", text=LONG, received_at=timezone.now() - timedelta(hours=1)
    )
    stored = [
        ingest.inbound_store(source=source, external_id=f"r{n}", payload={
            "text": LONG, "posted_at": "2026-11-24T10:00:00+05:00"})
        for n in range(3)
    ]  # fmt: skip
    ids = [s.message.pk for s in stored]

    assert inbound_process_batch(message_ids=ids + ids) == 3
    assert inbound_process_batch(message_ids=ids) == 0  # done already: nothing happens

    repeats = Signal.objects.filter(source=source)
    assert repeats.count() == 3
    assert {s.duplicate_of_id for s in repeats} == {earlier.pk}
    assert set(InboundMessage.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        InboundMessage.State.PROCESSED
    }


def test_a_database_error_in_a_batch_falls_back_to_one_by_one(region, world, monkeypatch):
    source = SourceFactory(region=region, slug="api-z", channel="api")
    ids = [
        ingest.inbound_store(source=source, external_id=f"z{n}", payload={
            "text": f"Сообщение {n}", "posted_at": "2026-11-24T10:00:00+05:00"}).message.pk
        for n in range(4)
    ]  # fmt: skip

    real = ingest_process.signals_create_many

    def broken(plans, **kwargs):
        from django.db import DataError

        if len(plans) > 1:
            raise DataError("value too long")
        return real(plans, **kwargs)

    monkeypatch.setattr(ingest_process, "signals_create_many", broken)
    assert inbound_process_batch(message_ids=ids) == 0
    assert Signal.objects.filter(source=source).count() == 4  # each went alone
    assert not InboundMessage.objects.filter(pk__in=ids).exclude(state="processed").exists()
