"""VK Callback API and Telegram webhooks."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from agencies.models import OfficialPage
from config.celery import app as celery_app
from signals_app.models import InboundMessage, Signal, SignalEvent
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def page(agency):
    return OfficialPage.objects.create(
        agency=agency, network="vk", external_id="12345", url="https://vk.com/club12345"
    )


@pytest.fixture
def vk_source(region, page):
    return SourceFactory(
        region=region,
        slug="vk-city",
        channel="vk",
        secret="vk-secret",
        confirmation_code="a1b2c3d4",
        official_page=page,
    )


@pytest.fixture
def tg_source(region):
    return SourceFactory(region=region, slug="tg-bot", channel="telegram", secret="tg-secret-token")


def vk(client, body, slug="vk-city", capture=None):
    url = reverse("hook_vk", args=[slug])
    if capture is None:
        return client.post(
            url, data=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )
    with capture(execute=True):
        return client.post(
            url, data=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )


def event(kind, obj, event_id="e1", secret="vk-secret"):
    return {
        "type": kind,
        "group_id": 12345,
        "event_id": event_id,
        "v": "5.199",
        "secret": secret,
        "object": obj,
    }


REPLY = {
    "id": 77,
    "from_id": 555,
    "post_id": 10,
    "owner_id": -12345,
    "date": 1764000000,
    "text": "Когда починят лифт на Ленина, 5?",
}


def test_confirmation_answers_the_sources_string(client, vk_source):
    response = vk(client, {"type": "confirmation", "group_id": 12345, "secret": "vk-secret"})
    assert (response.status_code, response.content) == (200, b"a1b2c3d4")
    assert (
        vk(client, {"type": "confirmation", "group_id": 999, "secret": "vk-secret"}).status_code
        == 403
    )
    assert not InboundMessage.objects.exists()


def test_a_wrong_secret_or_malformed_body_is_refused(client, vk_source):
    assert vk(client, event("wall_reply_new", REPLY, secret="nope")).status_code == 403
    assert (
        client.post(
            reverse("hook_vk", args=["vk-city"]), data="{oops", content_type="application/json"
        ).status_code
        == 400
    )
    assert vk(client, event("wall_reply_new", REPLY) | {"event_id": ""}).status_code == 400
    assert vk(client, event("wall_reply_new", REPLY), slug="missing").status_code == 404
    assert not InboundMessage.objects.exists()


def test_a_comment_on_the_page_becomes_one_signal_of_the_pages_agency(
    client, vk_source, agency, django_capture_on_commit_callbacks
):
    for _ in range(5):  # VK retries until it reads "ok"
        response = vk(
            client, event("wall_reply_new", REPLY), capture=django_capture_on_commit_callbacks
        )
        assert (response.status_code, response.content) == (200, b"ok")
    assert InboundMessage.objects.count() == 1
    assert "secret" not in InboundMessage.objects.get().payload
    signal = Signal.objects.get()
    assert signal.agency == agency
    assert signal.status == "in_progress"
    assert signal.external_id == "wall_reply:-12345_10_77"
    assert signal.external_url == "https://vk.com/wall-12345_10?reply=77"
    assert signal.author_profile_url == "https://vk.com/id555"


def test_edit_updates_and_delete_marks_the_existing_signal(
    client, vk_source, django_capture_on_commit_callbacks
):
    vk(client, event("wall_reply_new", REPLY, "e1"), capture=django_capture_on_commit_callbacks)
    edited = REPLY | {"text": "Лифт на Ленина, 5 стоит неделю"}
    vk(client, event("wall_reply_edit", edited, "e2"), capture=django_capture_on_commit_callbacks)
    removed = {"owner_id": -12345, "id": 77, "user_id": 555, "post_id": 10}
    vk(
        client,
        event("wall_reply_delete", removed, "e3"),
        capture=django_capture_on_commit_callbacks,
    )
    signal = Signal.objects.get()
    assert signal.text == "Лифт на Ленина, 5 стоит неделю"
    assert signal.deleted_at_source is not None
    kinds = set(SignalEvent.objects.filter(signal=signal).values_list("kind", flat=True))
    assert {"text_edited", "deleted_at_source"} <= kinds
    assert InboundMessage.objects.filter(state="processed").count() == 3


def test_other_events_are_answered_ok_and_kept_as_ignored(
    client, vk_source, django_capture_on_commit_callbacks
):
    response = vk(
        client,
        event("group_join", {"user_id": 1, "join_type": "join"}, "j1"),
        capture=django_capture_on_commit_callbacks,
    )
    assert response.content == b"ok"
    assert InboundMessage.objects.get().state == "ignored"
    assert not Signal.objects.exists()


def test_a_private_message_becomes_a_signal(client, vk_source, django_capture_on_commit_callbacks):
    message = {
        "message": {
            "id": 9,
            "date": 1764000000,
            "peer_id": 555,
            "from_id": 555,
            "text": "Нет отопления",
            "conversation_message_id": 3,
        }
    }
    vk(client, event("message_new", message, "m1"), capture=django_capture_on_commit_callbacks)
    assert Signal.objects.get().external_id == "message:555_3"


def tg(client, body, token="tg-secret-token", capture=None):
    url = reverse("hook_telegram", args=["tg-bot"])
    kwargs = {"data": json.dumps(body, ensure_ascii=False), "content_type": "application/json"}
    if token is not None:
        kwargs["HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"] = token
    if capture is None:
        return client.post(url, **kwargs)
    with capture(execute=True):
        return client.post(url, **kwargs)


TG_MESSAGE = {
    "update_id": 1001,
    "message": {
        "message_id": 5,
        "date": 1764000000,
        "chat": {"id": 42, "type": "private", "username": "petrov"},
        "from": {"id": 42, "first_name": "Пётр", "last_name": "Петров", "username": "petrov"},
        "text": "Яма на дороге у школы № 3",
    },
}


def test_telegram_checks_the_secret_token_and_deduplicates(
    client, tg_source, django_capture_on_commit_callbacks
):
    assert tg(client, TG_MESSAGE, token="nope").status_code == 403
    assert tg(client, TG_MESSAGE, token=None).status_code == 403
    for _ in range(5):
        assert tg(client, TG_MESSAGE, capture=django_capture_on_commit_callbacks).status_code == 200
    signal = Signal.objects.get()
    assert (signal.external_id, signal.author_name, signal.author_profile_url) == (
        "42_5",
        "Пётр Петров",
        "https://t.me/petrov",
    )
    assert InboundMessage.objects.count() == 1


def test_telegram_caption_channel_post_and_edit(
    client, tg_source, django_capture_on_commit_callbacks
):
    post = {
        "update_id": 2001,
        "channel_post": {
            "message_id": 8,
            "date": 1764000000,
            "chat": {"id": -100, "title": "Новости района"},
            "caption": "Фото свалки",
        },
    }
    tg(client, post, capture=django_capture_on_commit_callbacks)
    edit = {
        "update_id": 2002,
        "edited_channel_post": post["channel_post"] | {"caption": "Фото свалки у реки"},
    }
    tg(client, edit, capture=django_capture_on_commit_callbacks)
    signal = Signal.objects.get()
    assert signal.text == "Фото свалки у реки"
    assert tg(client, {"update_id": "x"}).status_code == 400
    assert (
        tg(
            client,
            {"update_id": 3001, "my_chat_member": {}},
            capture=django_capture_on_commit_callbacks,
        ).status_code
        == 200
    )
    assert InboundMessage.objects.get(external_id="tg:3001").state == "ignored"


def test_the_communitys_own_comments_and_other_official_pages_are_recorded_and_ignored(
    client, vk_source, agency, django_capture_on_commit_callbacks
):
    OfficialPage.objects.create(
        agency=agency, network="vk", external_id="777", url="https://vk.com/club777"
    )
    own = REPLY | {"id": 78, "from_id": -12345, "text": "Ответ опубликован: яма заделана"}
    other = REPLY | {"id": 79, "from_id": -777, "text": "Школа № 1 сообщает: ремонт завершён"}
    business = REPLY | {"id": 80, "from_id": -4242, "text": "ТСЖ: в доме нет горячей воды"}
    for number, obj in enumerate((own, other, business)):
        vk(client, event("wall_reply_new", obj, f"own{number}"),
           capture=django_capture_on_commit_callbacks)  # fmt: skip
    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert states == {"vk:own0": "ignored", "vk:own1": "ignored", "vk:own2": "processed"}
    assert InboundMessage.objects.get(external_id="vk:own0").error == "written by an official page"
    assert list(Signal.objects.values_list("text", flat=True)) == ["ТСЖ: в доме нет горячей воды"]


def test_a_telegram_channel_post_by_an_official_channel_is_ignored(
    client, tg_source, agency, django_capture_on_commit_callbacks
):
    OfficialPage.objects.create(
        agency=agency, network="telegram", external_id="-1001", url="https://t.me/city"
    )
    post = {
        "update_id": 4001,
        "channel_post": {
            "message_id": 1,
            "date": 1764000000,
            "chat": {"id": -1001, "title": "Администрация"},
            "text": "График отключений воды",
        },
    }
    tg(client, post, capture=django_capture_on_commit_callbacks)
    assert InboundMessage.objects.get().state == "ignored"
    assert not Signal.objects.exists()


def test_vk_attachments_are_kept_as_links_to_the_source(
    client, vk_source, django_capture_on_commit_callbacks
):
    photo = {
        "id": 456239017,
        "owner_id": 555,
        "sizes": [
            {"type": "s", "url": "https://sun9-1.userapi.com/s.jpg", "width": 75, "height": 56},
            {"type": "z", "url": "https://sun9-1.userapi.com/z.jpg", "width": 1080, "height": 810},
            {"type": "x", "url": "https://sun9-1.userapi.com/x.jpg", "width": 604, "height": 453},
        ],
    }
    attachments = [
        {"type": "photo", "photo": photo},
        {"type": "link", "link": {"url": "https://example.ru/news/1", "title": "Новость"}},
        {
            "type": "doc",
            "doc": {
                "id": 1,
                "owner_id": 555,
                "title": "акт.pdf",
                "size": 20480,
                "ext": "pdf",
                "url": "https://vk.com/doc555_1",
            },
        },
        {"type": "video", "video": {"id": 9, "owner_id": 555, "title": "Потоп"}},
        {"type": "sticker", "sticker": {"sticker_id": 1}},
        {"type": "photo", "photo": "garbage"},
        {"type": "link", "link": {"url": "javascript:alert(1)"}},
    ]
    vk(client, event("wall_reply_new", REPLY | {"attachments": attachments}),
       capture=django_capture_on_commit_callbacks)  # fmt: skip
    signal = Signal.objects.get()
    kept = list(signal.attachments.order_by("pk").values_list("url", "name", "size"))
    assert kept == [
        ("https://sun9-1.userapi.com/z.jpg", "photo555_456239017.jpg", None),
        ("https://example.ru/news/1", "Новость", None),
        ("https://vk.com/doc555_1", "акт.pdf", 20480),
        ("https://vk.com/video555_9", "Потоп", None),
    ]
