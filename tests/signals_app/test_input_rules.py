"""The input rules (signals_app/untrusted.py, README "Input rules") on every intake and the REST
API: NUL, a lone surrogate and 5,000 nested objects are a clear 4xx with nothing stored, or — for
a platform's free text — kept without the NUL. Never a 500."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from signals_app.ingest.process import inbound_drain
from signals_app.models import InboundMessage, Note, Signal
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

NESTED = '{"a":' * 5000 + "1" + "}" * 5000
SURROGATE = "Яма \ud800 у дома"  # json.dumps writes it as the escape \\ud800


@pytest.fixture
def sources(region):
    return {
        "vk": SourceFactory(region=region, slug="vk-city", channel="vk", secret="vk-secret"),
        "tg": SourceFactory(region=region, slug="tg-bot", channel="telegram", secret="tg-token"),
        "api": SourceFactory(region=region, slug="pos-export", channel="pos", secret="api-token"),
    }


def vk_body(text="Яма у дома", event_id="e1"):
    obj = {"id": 1, "from_id": 5, "post_id": 2, "owner_id": -1, "date": 1764000000, "text": text}
    return {"type": "wall_reply_new", "group_id": 1, "event_id": event_id, "secret": "vk-secret",
            "object": obj}  # fmt: skip


def tg_body(text="Яма у дома"):
    message = {"message_id": 1, "date": 1764000000, "chat": {"id": 7}, "text": text}
    return {"update_id": 11, "message": message}


def api_body(text="Яма у дома", external_id="x-1"):
    return {"external_id": external_id, "text": text, "posted_at": "2026-11-24T10:00:00+05:00"}


def send(client, intake, raw):
    if intake == "vk":
        return client.post(reverse("hook_vk", args=["vk-city"]), raw, "application/json")
    if intake == "tg":
        return client.post(reverse("hook_telegram", args=["tg-bot"]), raw, "application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tg-token")  # fmt: skip
    return client.post(reverse("ingest", args=["pos-export"]), raw, "application/json",
                       HTTP_AUTHORIZATION="Token api-token")  # fmt: skip


BODIES = {"vk": vk_body, "tg": tg_body, "api": api_body}


@pytest.mark.parametrize("intake", ["vk", "tg", "api"])
@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("surrogate", lambda body: json.dumps(body(text=SURROGATE))),
        ("surrogate key", lambda body: json.dumps(body() | {"\udfff": 1})),
        ("nested", lambda body: NESTED),
        ("nested inside", lambda body: json.dumps(body())[:-1] + ', "deep": ' + NESTED + "}"),
        ("not utf-8", lambda body: json.dumps(body()).encode() + b"\xff\xfe"),
    ],
)
def test_a_refused_body_is_a_400_and_nothing_is_stored(client, sources, intake, name, raw):
    response = send(client, intake, raw(BODIES[intake]))
    assert response.status_code == 400, response.content
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("intake", ["vk", "tg"])
def test_nul_in_a_platforms_text_is_removed_and_the_text_kept(client, sources, intake):
    response = send(client, intake, json.dumps(BODIES[intake](text="Яма\u0000 у дома\x00")))
    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert "\x00" not in json.dumps(stored.payload, ensure_ascii=False)
    inbound_drain()
    assert Signal.objects.get().text == "Яма у дома"


def test_nul_in_a_batch_item_refuses_that_item_with_its_field(client, sources):
    raw = json.dumps({"items": [api_body("Нет\x00 воды", "a"), api_body("Нет воды", "b\x01"),
                                api_body("Нет воды", "c")]})  # fmt: skip
    response = send(client, "api", raw)
    assert response.status_code == 202
    results = response.json()["results"]
    assert [(r["status"], sorted(r.get("errors", {}))) for r in results] == [
        ("rejected", ["text"]),
        ("rejected", ["external_id"]),
        ("accepted", []),
    ]
    assert list(InboundMessage.objects.values_list("external_id", flat=True)) == ["c"]


def test_a_vk_event_id_with_a_control_character_is_refused(client, sources):
    response = send(client, "vk", json.dumps(vk_body(event_id="e\x001")))
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"text": "Проверено \u0000"}),
        json.dumps({"text": SURROGATE}),
        NESTED,
        '{"text": "' + "\\ud800" * 3 + '"}',
    ],
)
def test_the_rest_api_refuses_the_same_bodies_in_its_own_error_shape(
    client, analyst, new_signal, raw
):
    client.force_login(analyst)
    response = client.post(
        reverse("api:signal_notes", args=[new_signal.number]), raw, "application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}
    assert not Note.objects.exists()


@pytest.mark.parametrize("value", ["%00", "a%00b", "%ED%A0%80", "%", "%D1%8F" * 3000, "%FF"])
def test_hostile_query_strings_never_break_the_lists(client, analyst, new_signal, value):
    client.force_login(analyst)
    for name in ("q", "status", "agency", "assignee", "cursor", "received_after", "ordering"):
        api = client.get(f"{reverse('api:signal_list')}?{name}={value}")
        page = client.get(f"{reverse('signals_app:signal_list')}?{name}={value}")
        assert api.status_code in (200, 400), (name, api.content[:200])
        assert page.status_code in (200, 400), (name, page.content[:200])
