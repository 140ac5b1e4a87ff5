# ruff: noqa: F811 — the stand-in fixture is imported from the outbound tests
"""Odnoklassniki: comments under the group's posts, read through OK's REST API (signed calls to
a local stand-in in the documented shapes): new comments become signals once, edits and
deletions reach their signal, the group's own comments and those written before the
connection never become signals, and the answer goes under the citizen's comment as the
group."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from signals_app.channels.ok import poll as ok_poll
from signals_app.channels.ok.rest import md5, signature
from signals_app.choices import Status
from signals_app.models import InboundMessage, OkGroup, OkTopic, Reply, Signal, SignalEvent
from signals_app.outbound.models import OutboxState, ReplyDelivery
from signals_app.sla.defaults import sla_defaults_install
from tests.factories import SourceFactory
from tests.signals_app.helpers import drive
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db
CONNECTED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MS = int(NOW.timestamp() * 1000)


def comment(number: str, text: str, *, author: str = "512000111222", ms: int = MS - 60_000,
            **extra) -> dict:  # type: ignore[no-untyped-def]  # fmt: skip
    return {"id": number, "author_id": author, "author_name": "Ирина Смирнова",
            "author_ref": f"user:{author}", "text": text, "date_ms": ms, "type": "ACTIVE_MESSAGE",
            **extra}  # fmt: skip


@pytest.fixture
def group(region, standin, settings):
    from config.celery import app

    app.conf.task_always_eager = True
    settings.OK_API_URL = standin.url + "/ok"
    sla_defaults_install(region=region)
    source = SourceFactory(region=region, slug="ok-group", channel="ok", secret="ok-secret-1",
                           reply_token="tkn1-group-token")  # fmt: skip
    app_ = standin.ok_app
    with time_machine.travel(CONNECTED, tick=False):
        found = OkGroup.objects.create(
            source=source, group_id=app_["group"], application_key=app_["application_key"],
            application_secret=app_["secret"], access_token=app_["token"],
        )  # fmt: skip
    yield found
    app.conf.task_always_eager = False


def read(group, capture, *, at=NOW):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False), capture(execute=True):
        return ok_poll.group_poll(OkGroup.objects.get(pk=group.pk))


def test_the_signature_is_the_documented_one():
    # md5("application_key=Kformat=jsonmethod=group.getInfo" + md5(token + application secret))
    params = {"method": "group.getInfo", "format": "json", "application_key": "K",
              "access_token": "T", "sig": "ignored"}  # fmt: skip
    session = md5("T" + "S")
    assert signature(params, session) == md5("application_key=Kformat=jsonmethod=group.getInfo"
                                              + session)  # fmt: skip
    assert signature({"b": "ю", "a": "1"}, "s") == md5("a=1b=юs")


def test_new_comments_become_signals_once_and_the_groups_own_and_old_ones_never(
    group, standin, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    gid = standin.ok_app["group"]
    standin.ok_topics["155000000000001"] = [
        comment("C001", "Старый комментарий", ms=int(CONNECTED.timestamp() * 1000) - 1000),
        comment("C002", "Яма на дороге у дома 5 по улице Ленина, уже месяц."),
        comment("C003", "Спасибо, передадим", author=gid, author_ref=f"group:{gid}"),
        comment("C004", "", attachments=[{"type": "PHOTO"}]),
    ]
    assert read(group, capture) == 3  # C002, the group's C003 and the text-less C004
    signal = Signal.objects.get()
    assert signal.text.startswith("Яма на дороге")
    assert signal.external_id == "ok:comment:155000000000001_C002"
    assert signal.thread_id == "topic:155000000000001"
    assert signal.author_profile_url == "https://ok.ru/profile/512000111222"
    assert signal.external_url == f"https://ok.ru/group/{gid}/topic/155000000000001"
    assert signal.posted_at == datetime.fromtimestamp((MS - 60_000) / 1000, tz=UTC)
    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert states == {
        "ok:comment:155000000000001_C002": "processed",
        "ok:comment:155000000000001_C003": "ignored",
        "ok:comment:155000000000001_C004": "ignored",
    }
    # Read again (the count unchanged, but the post is read again after a while): nothing new.
    later = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert read(group, capture, at=later) == 0
    assert Signal.objects.count() == 1 and InboundMessage.objects.count() == 3
    calls = [item.body["method"] for item in standin.of("ok")]
    assert calls.count("discussions.getComments") == 2


def test_an_unchanged_post_read_lately_is_not_read_again(
    group, standin, django_capture_on_commit_callbacks
):
    standin.ok_topics["155000000000002"] = [comment("C010", "Нет света в подъезде")]
    read(group, django_capture_on_commit_callbacks)
    read(group, django_capture_on_commit_callbacks, at=NOW.replace(minute=5))
    calls = [item.body["method"] for item in standin.of("ok")]
    assert calls == ["group.getStatTopics", "discussions.getComments", "group.getStatTopics"]
    standin.ok_topics["155000000000002"].append(comment("C011", "И в соседнем тоже"))
    assert read(group, django_capture_on_commit_callbacks, at=NOW.replace(minute=10)) == 1


def test_an_edit_changes_the_signal_and_a_deletion_is_recorded(
    group, standin, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    topic = standin.ok_topics["155000000000003"] = [
        comment("C020", "Мусор не вывозят"),
        comment("C021", "Во дворе дома 7 сломаны качели"),
    ]
    read(group, capture)
    topic[0] = comment("C020", "Мусор не вывозят неделю, улица Мира, 12")
    later = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert read(group, capture, at=later) == 1
    edited = Signal.objects.get(external_id="ok:comment:155000000000003_C020")
    assert edited.text == "Мусор не вывозят неделю, улица Мира, 12"
    del topic[1]
    assert read(group, capture, at=later.replace(minute=10)) == 1
    deleted = Signal.objects.get(external_id="ok:comment:155000000000003_C021")
    assert deleted.deleted_at_source is not None
    assert Signal.objects.count() == 2  # nothing is ever deleted here
    assert read(group, capture, at=later.replace(minute=50)) == 0


def test_a_run_killed_before_remembering_stores_nothing_twice(
    group, standin, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    standin.ok_topics["155000000000004"] = [comment(f"C{n:03d}", f"Жалоба номер {n}")
                                            for n in range(250)]  # three pages  # fmt: skip
    assert read(group, capture) == 250
    OkTopic.objects.all().delete()  # as if the worker died after storing, before remembering
    assert read(group, capture) == 0
    assert Signal.objects.count() == 250 and InboundMessage.objects.count() == 250


def test_the_answer_goes_under_the_comment_as_the_group_and_the_reply_continues_the_signal(
    group, standin, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    topic = standin.ok_topics["155000000000005"] = [comment("C030", "Течёт крыша, дом 3")]
    read(group, capture)
    signal = Signal.objects.get()
    with time_machine.travel(NOW.replace(minute=20), tick=False), capture(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    [sent] = standin.created["ok_comments"]
    assert sent["method"] == "discussions.addDiscussionComment"
    assert (sent["entityId"], sent["entityType"]) == ("155000000000005", "GROUP_TOPIC")
    assert (sent["reply_to_comment_id"], sent["as_admin"]) == ("C030", "true")
    assert sent["comment"] == "Работы выполнены."
    delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.FINAL)
    assert (delivery.state, delivery.remote_id) == (OutboxState.DELIVERED, "G000001")
    # Our answer comes back with the next reading: ignored. The citizen answers under it.
    topic.append(comment("C031", "Не сделали ничего!", reply_to_comment_id="G000001"))
    assert read(group, capture, at=NOW.replace(minute=40)) == 2
    assert Signal.objects.count() == 1
    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert states["ok:comment:155000000000005_G000001"] == "ignored"
    assert states["ok:comment:155000000000005_C031"] == "processed"
    wrote = signal.events.get(kind=SignalEvent.Kind.CITIZEN_WROTE)
    assert wrote.reason == "Не сделали ничего!"


def test_refusals_of_the_answer_are_told_transient_or_permanent(
    group, standin, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    standin.ok_topics["155000000000006"] = [comment("C040", "Грубое слово в ответе")]
    read(group, capture)
    signal = Signal.objects.get()
    standin.fail("ok", 200, {"error_code": 454, "error_msg": "CENSOR_MATCH : Text rejected"})
    with time_machine.travel(NOW.replace(minute=20), tick=False), capture(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.FINAL)
    assert delivery.state == OutboxState.FAILED
    assert "CENSOR_MATCH" in delivery.last_error and not standin.created["ok_comments"]

    standin.ok_topics["155000000000006"].append(comment("C041", "Второй вопрос", author="77"))
    read(group, capture, at=NOW.replace(minute=40))
    second = Signal.objects.get(external_id__endswith="_C041")
    standin.fail("ok", 200, {"error_code": 2, "error_msg": "SERVICE : Service is unavailable"})
    with time_machine.travel(NOW.replace(minute=50), tick=False), capture(execute=True):
        drive(second, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    retried = ReplyDelivery.objects.get(signal=second, reply__kind=Reply.Kind.FINAL)
    assert retried.state == OutboxState.RETRYING and "SERVICE" in retried.last_error


def test_a_wrong_key_or_an_unreachable_api_is_recorded_and_the_next_run_reads(
    group, standin, settings, django_capture_on_commit_callbacks
):
    standin.ok_topics["155000000000007"] = [comment("C050", "Не работает светофор")]
    OkGroup.objects.filter(pk=group.pk).update(application_secret="wrong")
    with time_machine.travel(NOW, tick=False):
        assert ok_poll.poll() == 0
    group.refresh_from_db()
    assert "PARAM_SIGNATURE" in group.last_error and group.polled_at == NOW
    # Not due again before OK_COMMENTS_EVERY seconds, even once the key is right.
    OkGroup.objects.filter(pk=group.pk).update(application_secret=standin.ok_app["secret"])
    with time_machine.travel(NOW.replace(minute=2), tick=False):
        assert ok_poll.poll() == 0
    at_six = time_machine.travel(NOW.replace(minute=6), tick=False)
    with at_six, django_capture_on_commit_callbacks(execute=True):
        assert ok_poll.poll() == 1
    group.refresh_from_db()
    assert group.last_error == ""
    settings.OK_API_URL = "http://127.0.0.1:9"  # nothing listens
    with time_machine.travel(NOW.replace(minute=12), tick=False):
        assert ok_poll.poll() == 0
    group.refresh_from_db()
    assert "ConnectionError" in group.last_error


def test_malformed_comments_fail_in_the_inbox_and_never_hold_up_the_rest(
    group, standin, django_capture_on_commit_callbacks
):
    standin.ok_topics["155000000000008"] = [
        comment("C060", "Шум ночью", author="not-a-user"),
        comment("C061", "Дата странная", ms="вчера"),
        comment("bad id!", "Ключ не тот"),
        comment("C062", "Остановку не убирают"),
    ]
    assert read(group, django_capture_on_commit_callbacks) == 3
    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert states["ok:comment:155000000000008_C060"] == "failed"
    assert states["ok:comment:155000000000008_C061"] == "failed"
    assert states["ok:comment:155000000000008_C062"] == "processed"
    assert Signal.objects.get().text == "Остановку не убирают"


def test_the_admin_shows_the_group_and_never_its_secrets(group, admin_client):
    from signals_app.admin import OkGroupForm

    page = admin_client.get(f"/admin/signals_app/source/{group.source_id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="ok_group-0-application_secret"' in html
    assert group.application_secret not in html and group.access_token not in html
    form = OkGroupForm(
        data={"group_id": group.group_id, "application_key": "CBANEW", "application_secret": "",
              "access_token": "", "days": 7, "is_active": "on"},
        instance=group,
    )  # fmt: skip
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.application_key, saved.days) == ("CBANEW", 7)
    assert (saved.application_secret, saved.access_token) == ("0A1B2C3D4E5F", "tkn.admin-1")
    refused = OkGroupForm(data={**form.data, "group_id": "ok.ru/group/1", "days": 0},
                          instance=group)  # fmt: skip
    assert not refused.is_valid() and {"group_id", "days"} <= set(refused.errors)
