# ruff: noqa: F811 — the stand-in fixture is imported from the outbound tests
"""Odnoklassniki: the group's messages through OK's Bot API webhooks (the secret in the address,
OK's networks, de-duplication on `mid`, refusals), answered in the same chat through the Graph
API (a local stand-in in the documented shapes)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.urls import reverse

from signals_app.choices import Status
from signals_app.models import InboundMessage, Reply, Signal
from signals_app.outbound.models import OutboxState, ReplyDelivery
from signals_app.sla.defaults import sla_defaults_install
from tests.factories import SourceFactory
from tests.signals_app.helpers import drive
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "signals_app" / "channels" / "ok" / "fixtures"


def sample(name: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text())["payload"])


@pytest.fixture
def ok_source(region):
    from config.celery import app

    app.conf.task_always_eager = True
    sla_defaults_install(region=region)
    yield SourceFactory(region=region, slug="ok-group", channel="ok", secret="ok-secret-1",
                        reply_token="tkn1-group-token")  # fmt: skip
    app.conf.task_always_eager = False


def hook(client, body, secret="ok-secret-1", capture=None, **extra):  # type: ignore[no-untyped-def]
    url = reverse("hook_ok", args=["ok-group"]) + (f"?secret={secret}" if secret else "")
    kwargs = {"data": json.dumps(body, ensure_ascii=False), "content_type": "application/json",
              **extra}  # fmt: skip
    if capture is None:
        return client.post(url, **kwargs)
    with capture(execute=True):
        return client.post(url, **kwargs)


def test_the_webhook_checks_the_secret_the_networks_and_the_shape(client, ok_source, settings):
    assert hook(client, sample("message"), secret=None).status_code == 403
    assert hook(client, sample("message"), secret="wrong").status_code == 403
    broken = sample("message")
    broken["message"]["mid"] = "not-a-mid"
    assert hook(client, broken).status_code == 400
    url = reverse("hook_ok", args=["ok-group"]) + "?secret=ok-secret-1"
    assert client.post(url, data="[1", content_type="application/json").status_code == 400
    assert hook(client, {"recipient": {"chat_id": "chat:C3"}}).json() == {"success": True}
    settings.OK_WEBHOOK_NETWORKS = ["217.20.145.192/28", "217.20.151.160/28", "217.20.153.48/28"]
    assert hook(client, sample("message"), REMOTE_ADDR="203.0.113.7").status_code == 403
    assert hook(client, sample("message"), REMOTE_ADDR="217.20.151.165").status_code == 200
    assert InboundMessage.objects.count() == 1


def test_a_message_becomes_one_signal_and_the_groups_own_is_ignored(
    client, ok_source, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    hook(client, sample("message"), capture=capture)
    hook(client, sample("message"), capture=capture)  # OK sends again until it gets a 200
    hook(client, sample("group_message"), capture=capture)
    signal = Signal.objects.get()
    assert (signal.channel, signal.thread_id) == ("ok", "chat:C3ecb9d02a600")
    assert signal.author_profile_url == "https://ok.ru/profile/123456789012"
    assert signal.sla_version.policy.name == "Социальные сети"
    assert InboundMessage.objects.get(external_id__endswith="aaaaaaaaa").state == "ignored"


def test_the_answer_goes_back_in_the_chat(
    client, ok_source, standin, analyst, executor, agency, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.OK_API_URL = standin.url + "/ok"
    capture = django_capture_on_commit_callbacks
    hook(client, sample("message"), capture=capture)
    signal = Signal.objects.get()
    with capture(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    [call] = [
        item for item in standin.of("ok") if item.body["message"]["text"] == "Работы выполнены."
    ]
    assert call.path.startswith("/ok/graph/me/messages/chat:C3ecb9d02a600?")
    assert "access_token=tkn1-group-token" in call.path
    assert call.body["recipient"] == {"chat_id": "chat:C3ecb9d02a600"}
    delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.FINAL)
    assert delivery.state == OutboxState.DELIVERED

    other = sample("message")
    other["message"]["mid"] = "mid:C3ecb9d02a600.15cea67d78d2999"
    other["recipient"]["chat_id"] = "chat:C999"
    other["sender"]["user_id"] = "user:987"
    other["message"]["text"] = "Не горит свет в подъезде."
    hook(client, other, capture=capture)
    second = Signal.objects.get(thread_id="chat:C999")
    standin.fail(
        "ok", 200, {"error_code": 102, "error_msg": "PARAM_SESSION_EXPIRED : Session expired"}
    )
    with capture(execute=True):
        drive(second, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    refused = ReplyDelivery.objects.get(signal=second, reply__kind=Reply.Kind.FINAL)
    assert refused.state == OutboxState.FAILED and "PARAM_SESSION_EXPIRED" in refused.last_error
