"""The batch JSON intake and the inbox behind it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.urls import reverse

from config.celery import app as celery_app
from signals_app.ingest import process as ingest_process
from signals_app.ingest import services as ingest
from signals_app.models import InboundMessage, Signal, SignalEvent
from tests.factories import MunicipalityFactory, SourceFactory

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-token"


@pytest.fixture
def api_source(region):
    return SourceFactory(region=region, slug="pos-export", channel="pos", secret=TOKEN)


def item(external_id="p-1", **extra):
    return {
        "external_id": external_id,
        "text": "Нет воды на ул. Ленина, 5",
        "posted_at": "2026-11-24T10:00:00+05:00",
    } | extra


def post(client, body, *, token=TOKEN, slug="pos-export", raw=None):
    return client.post(
        reverse("ingest", args=[slug]),
        data=raw if raw is not None else json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


def test_one_item_is_stored_then_processed_into_a_signal(
    client, api_source, eager, django_capture_on_commit_callbacks
):
    oktmo = MunicipalityFactory(region=api_source.region, name="Копейск", oktmo="75728000")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            item(author={"name": "Иван", "phone": "+79000000000"}, municipality="75728000", lat=55.1, lon=61.4,
                 attachments=[{"url": "https://example.org/a.jpg"}]),
        )  # fmt: skip
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    message = InboundMessage.objects.get()
    assert message.state == "processed"
    assert message.payload["text"] == "Нет воды на ул. Ленина, 5"  # verbatim
    signal = message.signal
    assert (signal.channel, signal.external_id, signal.municipality) == ("pos", "p-1", oktmo)
    assert signal.author_contact == "+79000000000"
    assert signal.attachments.count() == 1
    assert SignalEvent.objects.filter(signal=signal, kind="created").exists()


def test_a_batch_with_a_bad_item_keeps_the_good_ones(client, api_source):
    response = post(
        client,
        {
            "items": [
                item("a"),
                item("b", text=""),
                "nonsense",
                item("c", posted_at="2026-11-24T10:00:00"),
            ]
        },
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 3)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["accepted", "rejected", "rejected", "rejected"]
    assert "text" in body["results"][1]["errors"]
    assert "posted_at" in body["results"][3]["errors"]
    assert InboundMessage.objects.count() == 1


def test_the_same_item_five_times_is_one_message_and_one_signal(
    client, api_source, eager, django_capture_on_commit_callbacks
):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, item("same"))
    assert response.json()["duplicate"] == 1
    assert InboundMessage.objects.count() == 1
    assert Signal.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({"token": "wrong"}, "not_authenticated", 401),
        ({"token": ""}, "not_authenticated", 401),
        ({"slug": "nope"}, "unknown_source", 404),
        ({"raw": "{not json"}, "malformed_json", 400),
        ({"raw": "[1, 2]"}, "not_an_object", 400),
        ({"raw": '{"items": []}'}, "no_items", 400),
    ],
)
def test_bad_requests_get_one_json_shape(client, api_source, kwargs, code, status):
    response = post(client, item(), **kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not InboundMessage.objects.exists()


def test_too_many_items_and_too_large_bodies_are_refused(client, api_source):
    response = post(client, {"items": [item(str(i)) for i in range(1001)]})
    assert (response.status_code, response.json()["code"]) == (400, "too_many_items")
    huge = json.dumps(item(text="я" * 100) | {"padding": "x" * (5 * 1024 * 1024)})
    response = post(client, None, raw=huge)
    assert (response.status_code, response.json()["code"]) == (413, "too_large")
    assert not InboundMessage.objects.exists()


def test_nul_bytes_long_texts_and_html_are_handled(
    client, api_source, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"items": [
            item("nul", text="a\x00b"),
            item("long", text="д" * 10_000),
            item("html", text="<script>alert(1)</script> яма"),
        ]})  # fmt: skip
    results = response.json()["results"]
    assert results[0]["status"] == "rejected" and "text" in results[0]["errors"]
    assert [r["status"] for r in results[1:]] == ["accepted", "accepted"]
    assert len(Signal.objects.get(external_id="long").text) == 10_000
    assert (
        Signal.objects.get(external_id="html").text == "<script>alert(1)</script> яма"
    )  # escaped on output


def test_with_the_broker_down_the_request_succeeds_and_the_sweep_processes_later(
    client, api_source, monkeypatch, django_capture_on_commit_callbacks
):
    from config.celery import app

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(app.tasks["ingest.process_messages"], "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, item("offline"))
    assert response.status_code == 202
    assert InboundMessage.objects.get().state == "pending"
    assert ingest_process.inbound_sweep_pending(older_than=timedelta(0)) == 1
    assert ingest_process.inbound_sweep_pending(older_than=timedelta(0)) == 0
    assert Signal.objects.filter(external_id="offline").count() == 1


def test_a_failed_message_stays_with_its_error_and_can_be_reprocessed(
    api_source, eager, django_capture_on_commit_callbacks
):
    stored = ingest.inbound_store(
        source=api_source, external_id="bad", payload={"external_id": "bad", "text": ""}
    )
    ingest_process.inbound_process(message_id=stored.message.pk)
    message = InboundMessage.objects.get(pk=stored.message.pk)
    assert (message.state, message.attempts) == ("failed", 1)
    assert "text is empty" in message.error
    assert not Signal.objects.exists()
    # Someone fixes the payload's source of truth; re-processing runs again, once.
    InboundMessage.objects.filter(pk=message.pk).update(
        payload={"external_id": "bad", "text": "Теперь есть текст"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.inbound_reprocess(message_ids=[message.pk]) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("processed", 2)
    assert Signal.objects.count() == 1
    assert ingest_process.inbound_process(message_id=message.pk) is None  # already done
    assert Signal.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_over_real_http(live_server, region):
    SourceFactory(region=region, slug="live", channel="api", secret=TOKEN)
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/ingest/live/",
        data=json.dumps(item("http-1")).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {TOKEN}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        assert json.loads(response.read())["accepted"] == 1
    request.add_header("Authorization", "Token nope")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert InboundMessage.objects.filter(external_id="http-1").count() == 1


def test_source_create_prints_a_token_that_works(client, region, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("source_create", channel="api", slug="partner", name="Партнёр")
    output = capsys.readouterr().out
    token = output.split("token: ")[1].split()[0]
    response = post(client, item("t-1"), token=token, slug="partner")
    assert response.status_code == 202
    with pytest.raises(CommandError):
        call_command("source_create", channel="api", slug="partner", name="Дубль")


def test_admin_reprocesses_failed_messages_in_bulk(
    client, api_source, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    bad = [
        ingest.inbound_store(
            source=api_source, external_id=f"f{i}", payload={"external_id": f"f{i}", "text": ""}
        )
        for i in range(2)
    ]
    for stored in bad:
        ingest_process.inbound_process(message_id=stored.message.pk)
    InboundMessage.objects.update(payload={"text": "Исправлено"})
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:signals_app_inboundmessage_changelist"),
                {"action": "reprocess", "_selected_action": [s.message.pk for s in bad]},
            )
    finally:
        celery_app.conf.task_always_eager = False
    assert response.status_code == 302
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"processed"}
    assert Signal.objects.count() == 2


@pytest.mark.parametrize("rows", [1, 30])
def test_analysts_see_and_reprocess_failed_messages(
    client, api_source, analyst, rows, django_assert_num_queries, django_capture_on_commit_callbacks
):
    failed = []
    for i in range(rows):
        stored = ingest.inbound_store(source=api_source, external_id=f"x{i}", payload={"text": ""})
        ingest_process.inbound_process(message_id=stored.message.pk)
        failed.append(stored.message.pk)
    client.force_login(analyst)
    # session, user, staff context (2), unread count, page count, page
    with django_assert_num_queries(7):
        response = client.get(reverse("signals_app:inbox_failed"))
    assert response.status_code == 200
    assert response.content.decode().count('name="ids" value=') == rows * 2
    InboundMessage.objects.filter(pk=failed[0]).update(payload={"text": "Исправлено"})
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("signals_app:inbox_reprocess"), {"ids": [failed[0], "junk"]}
            )
    finally:
        celery_app.conf.task_always_eager = False
    assert response.status_code == 302
    assert InboundMessage.objects.get(pk=failed[0]).state == "processed"
    assert InboundMessage.objects.filter(state="failed").count() == rows - 1


def test_only_analysts_of_the_region_reach_the_failed_messages(
    client, api_source, executor, foreign_analyst
):
    stored = ingest.inbound_store(source=api_source, external_id="z", payload={"text": ""})
    ingest_process.inbound_process(message_id=stored.message.pk)
    client.force_login(executor)
    assert client.get(reverse("signals_app:inbox_failed")).status_code == 403
    assert (
        client.post(
            reverse("signals_app:inbox_reprocess"), {"ids": [stored.message.pk]}
        ).status_code
        == 403
    )
    client.force_login(foreign_analyst)
    assert "z</td>" not in client.get(reverse("signals_app:inbox_failed")).content.decode()
    client.post(reverse("signals_app:inbox_reprocess"), {"ids": [stored.message.pk]})
    assert InboundMessage.objects.get(pk=stored.message.pk).state == "failed"
