# ruff: noqa: F811 — the fixtures below are imported from the outbound tests
"""MAX: the bot's webhook (the secret, de-duplication without update ids, edits, deletions,
refusals), answers and the survey's buttons back through the Bot API (a local stand-in built
from the platform's schema)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.urls import reverse

from signals_app.choices import Status
from signals_app.models import InboundMessage, Reply, Signal, SignalEvent, Survey
from signals_app.outbound.models import OutboxState, ReplyDelivery
from signals_app.sla.defaults import sla_defaults_install
from tests.factories import SourceFactory
from tests.signals_app.helpers import drive
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "signals_app" / "channels" / "max" / "fixtures"


def sample(name: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text())["payload"])


@pytest.fixture
def max_source(region, settings):
    from config.celery import app

    app.conf.task_always_eager = True
    sla_defaults_install(region=region)
    yield SourceFactory(region=region, slug="max-bot", channel="max", secret="max-secret-1",
                        reply_token="max-bot-token")  # fmt: skip
    app.conf.task_always_eager = False


def hook(client, body, secret="max-secret-1", capture=None):  # type: ignore[no-untyped-def]
    url = reverse("hook_max", args=["max-bot"])
    kwargs = {"data": json.dumps(body, ensure_ascii=False), "content_type": "application/json"}
    if secret is not None:
        kwargs["HTTP_X_MAX_BOT_API_SECRET"] = secret
    if capture is None:
        return client.post(url, **kwargs)
    with capture(execute=True):
        return client.post(url, **kwargs)


def test_the_webhook_checks_the_secret_and_refuses_what_is_not_an_update(client, max_source):
    assert hook(client, sample("message_created"), secret=None).status_code == 403
    assert hook(client, sample("message_created"), secret="wrong").status_code == 403
    url = reverse("hook_max", args=["nobody"])
    assert client.post(url, data="{}", content_type="application/json").status_code == 404
    bad = client.post(reverse("hook_max", args=["max-bot"]), data="{not json",
                      content_type="application/json", HTTP_X_MAX_BOT_API_SECRET="max-secret-1")  # fmt: skip
    assert bad.status_code == 400
    assert hook(client, {"timestamp": 1764590401000}).status_code == 400  # no update_type
    no_mid = sample("message_created")
    del no_mid["message"]["body"]["mid"]
    assert hook(client, no_mid).status_code == 400
    assert InboundMessage.objects.count() == 0


def test_a_message_becomes_one_signal_its_edit_and_deletion_follow(
    client, max_source, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert hook(client, sample("message_created"), capture=capture).json() == {"ok": True}
    assert hook(client, sample("message_created"), capture=capture).status_code == 200  # again
    signal = Signal.objects.get()
    assert (signal.channel, signal.thread_id) == ("max", "182182182")
    assert signal.author_name == "Анна Котова"
    assert signal.sla_version is not None and signal.sla_version.policy.name == "Социальные сети"
    assert InboundMessage.objects.count() == 1

    hook(client, sample("message_edited"), capture=capture)
    signal.refresh_from_db()
    assert signal.text.endswith("уже неделю.")
    hook(client, sample("message_removed"), capture=capture)
    signal.refresh_from_db()
    assert signal.deleted_at_source is not None and Signal.objects.count() == 1
    hook(client, sample("bot_echo"), capture=capture)
    hook(client, sample("bot_started"), capture=capture)
    assert Signal.objects.count() == 1
    ignored = InboundMessage.objects.filter(state="ignored").values_list("error", flat=True)
    assert sorted(ignored) == ["MAX update bot_started is not a citizen's message",
                               "written by a bot"]  # fmt: skip


def test_the_answer_and_the_survey_go_back_through_the_bot_and_the_press_is_recorded(
    client, max_source, standin, analyst, executor, agency, django_capture_on_commit_callbacks,
    settings,
):  # fmt: skip
    settings.MAX_API_URL = standin.url + "/max"
    capture = django_capture_on_commit_callbacks
    hook(client, sample("message_created"), capture=capture)
    signal = Signal.objects.get()
    with capture(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)

    [answer] = [call for call in standin.of("max") if "answers" not in call.path]
    assert answer.path.startswith("/max/messages?") and "chat_id=182182182" in answer.path
    assert answer.headers["authorization"] == "max-bot-token"
    assert answer.body["text"] == "Работы выполнены."
    assert answer.body["link"] == {"type": "reply", "mid": "mid.000000000adf429c019d47b1ce4600ff"}
    delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.FINAL)
    assert (delivery.state, delivery.remote_id) == (OutboxState.DELIVERED, "mid.bot00000001")

    # The survey leaves a little later, with two callback buttons.
    survey_delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.SURVEY)
    from signals_app.outbound.services import reply_delivery_send

    ReplyDelivery.objects.filter(pk=survey_delivery.pk).update(next_attempt_at=None)
    reply_delivery_send(delivery_id=survey_delivery.pk)
    survey_call = standin.of("max")[-1]
    [[yes, no]] = survey_call.body["attachments"][0]["payload"]["buttons"]
    assert (yes["type"], yes["payload"]) == ("callback", f"sv:{signal.public_key.hex}:1")
    assert no["payload"].endswith(":0")

    press = sample("message_created") | {"update_type": "message_callback"}
    press["callback"] = {"timestamp": 1764600000000, "callback_id": "cb-1",
                         "payload": no["payload"], "user": {"user_id": 123456789}}  # fmt: skip
    hook(client, press, capture=capture)
    hook(client, press, capture=capture)  # a redelivery changes nothing
    survey = Survey.objects.get(signal=signal)
    assert survey.solved is False and survey.answered_via == Survey.Via.MAX
    assert [call["callback_id"] for call in standin.created["max_answers"]] == ["cb-1"]


def test_refusals_of_the_bot_api_are_kept_apart(
    client, max_source, standin, analyst, executor, agency, django_capture_on_commit_callbacks,
    settings,
):  # fmt: skip
    settings.MAX_API_URL = standin.url + "/max"
    capture = django_capture_on_commit_callbacks
    hook(client, sample("message_created"), capture=capture)
    signal = Signal.objects.get()
    standin.fail("max", 429, {"code": "too.many.requests", "message": "Too many requests"},
                 headers={"Retry-After": "3"})  # fmt: skip
    with capture(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.FINAL)
    assert delivery.state == OutboxState.RETRYING and "429" in delivery.last_error

    other = sample("message_created")
    other["message"]["body"]["mid"] = "mid.000000000adf429c019d47b1ce460100"
    other["message"]["recipient"]["chat_id"] = 182182183
    other["message"]["body"]["text"] = "Не вывозят мусор на ул. Садовой."
    hook(client, other, capture=capture)
    blocked = Signal.objects.get(thread_id="182182183")
    standin.fail("max", 403, {"code": "chat.denied", "message": "Bot is blocked by the user"})
    with capture(execute=True):
        drive(blocked, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    refused = ReplyDelivery.objects.get(signal=blocked, reply__kind=Reply.Kind.FINAL)
    assert refused.state == OutboxState.FAILED and "chat.denied" in refused.last_error


def test_a_reply_in_the_dialog_continues_the_signal(
    client, max_source, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    hook(client, sample("message_created"), capture=capture)
    signal = drive(Signal.objects.get(), Status.IN_PROGRESS, analyst=analyst, executor=executor,
                   agency=agency)  # fmt: skip
    more = sample("message_created")
    more["timestamp"] += 1000
    more["message"]["body"] |= {"mid": "mid.000000000adf429c019d47b1ce4601aa",
                                "text": "Добавлю: и у подъезда тоже темно."}  # fmt: skip
    more["message"]["link"] = {"type": "reply", "message": {
        "mid": "mid.000000000adf429c019d47b1ce4600ff", "seq": 1, "text": "…"}}  # fmt: skip
    hook(client, more, capture=capture)
    assert Signal.objects.count() == 1
    event = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CITIZEN_WROTE)
    assert event.reason == "Добавлю: и у подъезда тоже темно."
