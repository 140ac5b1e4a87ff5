"""A message that cannot become a signal fails alone: the ones around it go on (issue: a poison
message used to stall the whole webhook inbox)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from agencies.models import OfficialPage
from signals_app.ingest.process import inbound_drain, inbound_sweep_pending
from signals_app.models import InboundMessage, Signal
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

HUGE = 10**30


@pytest.fixture
def vk_source(region, agency):
    page = OfficialPage.objects.create(
        agency=agency, network="vk", external_id="12345", url="https://vk.com/club12345"
    )
    return SourceFactory(
        region=region, slug="vk-city", channel="vk", secret="vk-secret", official_page=page
    )


@pytest.fixture
def tg_source(region):
    return SourceFactory(region=region, slug="tg-bot", channel="telegram", secret="tg-secret-token")


def post_vk(client, kind, obj, event_id):
    body = {"type": kind, "group_id": 12345, "event_id": event_id, "secret": "vk-secret"}
    response = client.post(
        reverse("hook_vk", args=["vk-city"]),
        data=json.dumps(body | {"object": obj}),
        content_type="application/json",
    )
    assert (response.status_code, response.content) == (200, b"ok")


def post_tg(client, update):
    response = client.post(
        reverse("hook_telegram", args=["tg-bot"]),
        data=json.dumps(update),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tg-secret-token",
    )
    assert response.status_code == 200


def reply(number, **fields):
    return {
        "id": number,
        "from_id": 555,
        "post_id": 10,
        "owner_id": -12345,
        "date": 1764000000,
        "text": f"Яма у дома {number}",
    } | fields


VK_POISON = [
    ("wall_reply_new", reply(2, id=HUGE)),
    ("wall_reply_new", reply(2, from_id=HUGE)),
    ("wall_reply_new", reply(2, date=HUGE)),
    ("message_new", {"message": "не объект"}),
    ("message_new", {"message": {"peer_id": [1], "date": "вчера", "text": {"a": 1}}}),
    ("wall_reply_new", reply(2, text=["список"], owner_id={"x": 1})),
]


@pytest.mark.parametrize(("kind", "obj"), VK_POISON)
def test_a_poison_vk_event_between_two_good_ones_fails_alone(client, vk_source, kind, obj):
    post_vk(client, "wall_reply_new", reply(1), "e1")
    post_vk(client, kind, obj, "e2")
    post_vk(client, "wall_reply_new", reply(3), "e3")

    inbound_drain()

    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert states["vk:e1"] == states["vk:e3"] == "processed"
    assert states["vk:e2"] in ("failed", "ignored", "processed")
    texts = set(Signal.objects.values_list("text", flat=True))
    assert {"Яма у дома 1", "Яма у дома 3"} <= texts
    poison = InboundMessage.objects.get(external_id="vk:e2")
    if poison.state == "failed":
        assert poison.error  # visible in «Входящие» with its reason


TG_POISON = [
    {"message": {"message_id": 5, "date": 1764000000, "chat": "строка", "text": "Яма"}},
    {
        "message": {
            "message_id": 5,
            "date": 1764000000,
            "chat": {"id": 4},
            "from": "x",
            "text": "Яма",
        }
    },
    {"message": {"message_id": 5, "date": HUGE, "chat": {"id": 4}, "text": "Яма"}},
    {"message": {"message_id": {"a": 1}, "date": 1, "chat": {"id": [1]}, "text": 5}},
]


@pytest.mark.parametrize("poison", TG_POISON)
def test_a_poison_telegram_update_between_two_good_ones_fails_alone(client, tg_source, poison):
    def good(update_id, number):
        return {
            "update_id": update_id,
            "message": {
                "message_id": number,
                "date": 1764000000,
                "chat": {"id": 42, "type": "private"},
                "from": {"id": 42, "first_name": "Пётр"},
                "text": f"Нет света в доме {number}",
            },
        }

    post_tg(client, good(1, 1))
    post_tg(client, {"update_id": 2} | poison)
    post_tg(client, good(3, 3))

    inbound_drain()

    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert states["tg:1"] == states["tg:3"] == "processed"
    assert states["tg:2"] != "pending"
    assert {"Нет света в доме 1", "Нет света в доме 3"} <= set(
        Signal.objects.values_list("text", flat=True)
    )


def test_the_sweep_is_not_stalled_by_a_poison_message_either(client, vk_source):
    post_vk(client, "wall_reply_new", reply(1), "e1")
    post_vk(client, "wall_reply_new", reply(2, date=HUGE), "e2")
    post_vk(client, "wall_reply_new", reply(3), "e3")
    from datetime import timedelta

    inbound_sweep_pending(older_than=timedelta(0))

    assert not InboundMessage.objects.filter(state="pending").exists()
    assert Signal.objects.filter(text__in=["Яма у дома 1", "Яма у дома 3"]).count() == 2
