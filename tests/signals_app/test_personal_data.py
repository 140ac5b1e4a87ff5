# ruff: noqa: F811 — the fixtures below are imported from the intake and outbound tests
"""Personal data by law (152-FZ): the retention policy applied in batches with a dry run, a
citizen's request (find, export, remove), the log that names signals and rules but never the
data, and the widget author's news of each change with its stop link."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agencies.models import User
from signals_app import citizen, privacy
from signals_app.choices import Status
from signals_app.models import (
    Attachment,
    InboundMessage,
    PersonalDataLog,
    RetentionPolicy,
    Signal,
    Subscription,
)
from signals_app.outbound.models import ReplyDelivery
from signals_app.workflow import services
from signals_app.workflow.services.tell import news_sweep
from tests.factories import SignalFactory, SourceFactory
from tests.signals_app.helpers import drive
from tests.signals_app.test_ingest_hooks import TG_MESSAGE, eager, tg, tg_source  # noqa: F401
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Yekaterinburg")
NOW = datetime(2031, 6, 15, 3, 0, tzinfo=ZONE)  # the night the policy runs
NAME, PHONE, MAIL, PROFILE = (
    "Пётр Иванов",
    "+7 (912) 345-67-89",
    "Petr@Example.org",
    "https://vk.com/id77",
)


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Only this test client's counters: never flush the shared Redis."""
    from django.core.cache import cache

    from signals_app.limits import limit_key

    keys = [limit_key(scope, "127.0.0.1") for scope in ("status", "widget")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def _authored(region, **fields):  # type: ignore[no-untyped-def]
    values = {"author_name": NAME, "author_contact": PHONE, "author_profile_url": PROFILE,
              "thread_id": "42"} | fields  # fmt: skip
    return SignalFactory(region=region, channel="vk", **values)


def _ended(status, at, region, analyst, executor, agency, **fields):  # type: ignore[no-untyped-def]
    """A signal whose work ended (answered, closed or rejected) at the given moment."""
    with time_machine.travel(at, tick=False):
        signal = _authored(region, **fields)
        drive(signal, status, analyst=analyst, executor=executor, agency=agency)
    signal.refresh_from_db()
    assert signal.finished_at == at
    return signal


def _file(signal, name="photo.jpg"):  # type: ignore[no-untyped-def]
    path = default_storage.save(
        f"attachments/test/{name}", ContentFile(b"\xff\xd8\xff" + b"0" * 64)
    )
    return Attachment.objects.create(signal=signal, file=path, name=name, size=67)


# --- the end of the work ---------------------------------------------------------------------


def test_the_end_of_the_work_is_written_with_the_status_and_cleared_by_a_reopening(
    region, agency, analyst, executor
):
    at = datetime(2027, 3, 1, 10, 0, tzinfo=ZONE)
    with time_machine.travel(at, tick=False):
        signal = drive(_authored(region), Status.ANSWERED, analyst=analyst, executor=executor,
                       agency=agency)  # fmt: skip
    assert signal.finished_at == at
    with time_machine.travel(at + timedelta(days=2), tick=False):
        services.signal_close(signal=signal, actor=analyst)
    signal.refresh_from_db()
    assert signal.finished_at == at + timedelta(days=2)  # counted from the closing
    services.signal_reopen(signal=signal, reason="Не сделано", actor=analyst)
    signal.refresh_from_db()
    assert signal.status == Status.IN_PROGRESS and signal.finished_at is None


# --- the retention policy --------------------------------------------------------------------


@pytest.fixture
def aged(region, agency, analyst, executor, settings, tmp_path):  # type: ignore[no-untyped-def]
    """Signals that ended 6 years, 4 years and 7 months ago (closed) and 7 months ago
    (rejected), one open one, each with a file; the policy: 5 years, 5 years, 6 months."""
    settings.MEDIA_ROOT = tmp_path
    RetentionPolicy.objects.create(region=region, is_active=True)
    old = _ended(Status.CLOSED, NOW - timedelta(days=6 * 365), region, analyst, executor, agency)
    recent = _ended(Status.CLOSED, NOW - timedelta(days=4 * 365), region, analyst, executor,
                    agency)  # fmt: skip
    spam = _ended(Status.REJECTED, NOW - timedelta(days=210), region, analyst, executor, agency)
    young = _ended(Status.CLOSED, NOW - timedelta(days=210), region, analyst, executor, agency)
    open_ = _authored(region)
    for signal in (old, recent, spam, young, open_):
        _file(signal, f"{signal.pk}.jpg")
    source = SourceFactory(region=region, channel="vk")
    InboundMessage.objects.create(source=source, external_id="m-old", signal=old,
                                  payload={"from": {"name": NAME}, "text": "Яма"})  # fmt: skip
    Subscription.objects.create(signal=old, email="neighbour@example.org")
    assert ReplyDelivery.objects.filter(signal=old).exists()  # the answer went to the thread
    ReplyDelivery.objects.filter(signal=old).update(target={"peer_id": 42, "to": "petr@ex.org"})
    return {"old": old, "recent": recent, "spam": spam, "young": young, "open": open_}


def test_a_dry_run_says_what_it_would_remove_and_removes_nothing(aged, region):
    runs = {run.rule.action: run for run in privacy.retention_apply(dry_run=True, now=NOW)}
    assert runs["authors"].found == 1 and runs["authors"].sample == [aged["old"].number]
    assert runs["rejected"].found == 1 and runs["rejected"].sample == [aged["spam"].number]
    assert runs["attachments"].found == 1
    assert all(run.counted and run.done == 0 for run in runs.values())
    assert Signal.objects.filter(author_name=NAME).count() == 5
    assert Attachment.objects.count() == 5 and not PersonalDataLog.objects.exists()
    # A policy not switched on is only counted, by the nightly run as by a dry run.
    RetentionPolicy.objects.filter(region=region).update(is_active=False)
    assert all(run.counted for run in privacy.retention_apply(now=NOW))
    assert Signal.objects.filter(author_name=NAME).count() == 5


def test_the_policy_removes_the_personal_data_and_keeps_the_signals(
    aged, region, client, analyst, django_capture_on_commit_callbacks
):
    before = dict(Signal.objects.values_list("pk", "status"))
    old_file = aged["old"].attachments.get().file.name
    with django_capture_on_commit_callbacks(execute=True):  # the files go once it commits
        runs = {run.rule.action: run for run in privacy.retention_apply(now=NOW)}
    assert runs["authors"].done == 1 and runs["rejected"].done == 1
    assert runs["attachments"].done == 1
    old, spam = Signal.objects.get(pk=aged["old"].pk), Signal.objects.get(pk=aged["spam"].pk)
    for cleared in (old, spam):
        assert (cleared.author_name, cleared.author_contact, cleared.author_profile_url,
                cleared.thread_id) == ("", "", "", "")  # fmt: skip
        assert cleared.personal_data_removed_at is not None and cleared.text
    kept = Signal.objects.filter(pk__in=[aged[k].pk for k in ("recent", "young", "open")])
    assert all(signal.author_name == NAME for signal in kept)
    assert InboundMessage.objects.get(external_id="m-old").payload == privacy.REMOVED_PAYLOAD
    assert not Subscription.objects.filter(signal=old).exists()
    targets = list(ReplyDelivery.objects.filter(signal=old).values_list("target", flat=True))
    assert targets and all(target == {} for target in targets)
    # Files: of the old closed one (5 years) and of the rejected one; the row and the file.
    assert not Attachment.objects.filter(signal__in=[old, spam]).exists()
    assert not default_storage.exists(old_file)
    assert Attachment.objects.count() == 3
    # Reports and statistics survive: the same signals, statuses and numbers.
    assert dict(Signal.objects.values_list("pk", "status")) == before
    # The log names the rule and the signals, never the data.
    logged = PersonalDataLog.objects.order_by("pk")
    assert [entry.action for entry in logged] == ["rejected", "authors", "attachments"]
    assert logged[1].signal_ids == [old.pk] and logged[1].rule == "авторы: 5 лет"
    # (Not ASCII-escaped, so that the name could be found; the phone by its own digits, which
    # no id of the test's rows can spell.)
    text = json.dumps(list(logged.values()), default=str, ensure_ascii=False)
    assert NAME not in text and "345-67-89" not in text and "3456789" not in text
    assert "example.org" not in text
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[old.number])).content.decode()
    assert "Персональные данные удалены" in page and NAME not in page
    # Applied again: nothing more to do.
    assert sum(run.done for run in privacy.retention_apply(now=NOW)) == 0


def test_the_policy_works_in_batches_each_logged(region, agency, analyst, executor):
    RetentionPolicy.objects.create(region=region, is_active=True)
    for _ in range(5):
        _ended(Status.REJECTED, NOW - timedelta(days=400), region, analyst, executor, agency)
    [run] = [r for r in privacy.retention_apply(now=NOW, batch=2) if r.rule.action == "rejected"]
    assert (run.done, run.batches) == (5, 3)
    assert sorted(len(e.signal_ids) for e in PersonalDataLog.objects.all()) == [1, 2, 2]


def test_the_command_and_the_admin_dry_run(aged, region, client):
    from io import StringIO

    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("retention_apply", "--dry-run", stdout=out)
    assert f"would remove 1 ({aged['old'].number}…)" in out.getvalue()
    admin = User.objects.create_superuser("root", "root@example.org", "x")
    with time_machine.travel(NOW, tick=False):
        client.force_login(admin)
        page = client.post(reverse("admin:signals_app_retentionpolicy_changelist"),
                           {"action": "dry_run", "_selected_action": [region.retention.pk]},
                           follow=True)  # fmt: skip
    assert "1 к удалению" in page.content.decode()
    assert Signal.objects.filter(author_name=NAME).count() == 5


def test_the_widget_and_the_status_page_say_the_region_s_terms(client, region, agency):
    SourceFactory(region=region, channel="widget", agency=agency)
    signal = SignalFactory(region=region, channel="widget")
    assert (
        "правилами хранения обращений" in client.get(citizen.status_path(signal)).content.decode()
    )
    RetentionPolicy.objects.create(region=region, authors_years=3, attachments_years=2,
                                   rejected_months=6)  # fmt: skip
    page = client.get(citizen.status_path(signal)).content.decode()
    assert "3 года" in page and "2 года" in page and "6 месяцев" in page
    form = client.get(reverse("widget", args=[agency.pk])).content.decode()
    assert "3 года" in form


# --- a citizen's request ---------------------------------------------------------------------


@pytest.fixture
def officer(region):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    from agencies.models import Role
    from tests.conftest import _centre_user

    user = _centre_user("dpo", Role.ANALYST, region)
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="subject_access"))
    return User.objects.get(pk=user.pk)


def test_a_citizen_is_found_by_any_spelling_of_their_phone_profile_or_e_mail(region, other_region):
    by_phone = _authored(region, author_contact="8 912 345 67 89", author_profile_url="")
    by_profile = _authored(region, author_contact="", author_profile_url="http://m.vk.com/ID77/")
    by_mail = _authored(region, author_contact="petr@example.org", author_profile_url="")
    _authored(region, author_contact="+7 912 345 67 80", author_profile_url="https://vk.com/id7")
    elsewhere = _authored(other_region, author_contact="89123456789", author_profile_url="")
    assert [s.pk for s in privacy.subject_find(phone="+7(912)3456789").signals] == [
        elsewhere.pk, by_phone.pk]  # fmt: skip
    assert [s.pk for s in privacy.subject_find(profile="vk.com/id77").signals] == [by_profile.pk]
    assert [s.pk for s in privacy.subject_find(email=" PETR@example.org ").signals] == [by_mail.pk]
    only_here = privacy.subject_find(phone="89123456789", region_ids=[region.pk])
    assert [s.pk for s in only_here.signals] == [by_phone.pk]
    assert privacy.subject_find(phone="12").signals == []  # too short to mean anyone


def test_the_request_is_found_exported_and_removed_each_logged(
    client, officer, region, other_region, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    signal = _authored(region, author_contact="petr@example.org")
    _file(signal)
    Subscription.objects.create(signal=SignalFactory(region=region), email="petr@example.org",
                                consent={"given": True})  # fmt: skip
    foreign = _authored(other_region, author_contact="petr@example.org")
    url = reverse("admin:signals_app_personaldatalog_subject")
    client.force_login(officer)
    page = client.get(url, {"email": "Petr@example.org", "reason": "Запрос № 12 от 1.12"})
    body = page.content.decode()
    assert page.status_code == 200 and signal.number in body and foreign.number not in body
    exported = client.post(url, {"email": "petr@example.org", "reason": "Запрос № 12",
                                 "step": "export"})  # fmt: skip
    data = json.loads(exported.content)
    assert exported["Content-Disposition"].startswith("attachment")
    assert (
        data["signals"][0]["author_name"] == NAME and data["signals"][0]["files"][0]["size"] == 67
    )
    assert data["subscriptions"][0]["email"] == "petr@example.org"
    refused = client.post(url, {"email": "petr@example.org", "reason": "", "step": "anonymise",
                                "confirm": "1"}, follow=True)  # fmt: skip
    assert "Отметьте подтверждение" in refused.content.decode()
    assert Signal.objects.get(pk=signal.pk).author_name == NAME
    client.post(url, {"email": "petr@example.org", "reason": "Запрос № 12", "step": "anonymise",
                      "confirm": "1"})  # fmt: skip
    signal.refresh_from_db()
    assert signal.author_name == "" and signal.personal_data_removed_at is not None
    assert not signal.attachments.exists() and not Subscription.objects.exists()
    assert Signal.objects.get(pk=foreign.pk).author_name == NAME  # another region's: not theirs
    logged = list(PersonalDataLog.objects.order_by("pk").values_list("action", "actor", "rule"))
    assert [row[0] for row in logged] == ["searched", "exported", "anonymised"]
    assert all(row[1] == officer.pk for row in logged) and logged[2][2] == "Запрос № 12"
    hashes = set(PersonalDataLog.objects.values_list("subject_hash", flat=True))
    assert len(hashes) == 1 and "petr" not in hashes.pop()


def test_the_request_page_needs_its_permission(client, analyst):
    analyst.is_staff = True
    analyst.save()
    client.force_login(analyst)
    url = reverse("admin:signals_app_personaldatalog_subject")
    assert client.get(url, {"email": "petr@example.org"}).status_code == 403
    assert not PersonalDataLog.objects.exists()


def test_a_request_without_anything_to_look_for_says_so(client, officer):
    client.force_login(officer)
    url = reverse("admin:signals_app_personaldatalog_subject")
    page = client.get(url, {"phone": "12", "reason": "x"})
    assert page.status_code == 200 and "Укажите профиль" in page.content.decode()
    assert not PersonalDataLog.objects.exists()


# --- the author's news -----------------------------------------------------------------------


def _widget_post(client, agency, **fields):  # type: ignore[no-untyped-def]
    data = {"consent": "on", "text": "Яма у подъезда, глубокая"} | fields
    return client.post(reverse("widget", args=[agency.pk]), data)


def test_the_author_who_asked_hears_of_each_change_once(
    client, region, agency, analyst, executor, settings, tmp_path, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    SourceFactory(region=region, channel="widget", agency=agency)
    start = datetime(2027, 3, 1, 10, 0, tzinfo=ZONE)
    with time_machine.travel(start, tick=False):
        receipt = _widget_post(client, agency, contact="+79123456789", news="on",
                               news_email="Petr@Example.org")  # fmt: skip
    assert "ссылка, чтобы их прекратить" in receipt.content.decode()
    signal = Signal.objects.get()
    [subscription] = signal.subscriptions.all()
    assert (
        subscription.scope == Subscription.Scope.AUTHOR and subscription.email == "petr@example.org"
    )
    assert signal.subscriptions.filter(scope="joined").count() == 0
    capture = django_capture_on_commit_callbacks
    with time_machine.travel(start + timedelta(minutes=1), tick=False), capture(execute=True):
        assert news_sweep() == 0  # nothing changed yet
    assert signal.status == Status.IN_PROGRESS  # the widget's agency has it at once
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        services.signal_request_info(signal=signal, question="Какой номер дома?", actor=executor)
    with time_machine.travel(start + timedelta(minutes=6), tick=False), capture(execute=True):
        assert news_sweep() == 1  # two changes since the last look: one message
        assert news_sweep() == 0  # told once
    [first] = [m for m in mail.outbox if m.to == ["petr@example.org"]]
    assert "Нужно уточнение от вас" in first.body and "Какой номер дома?" in first.body
    assert signal.number in first.body
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        services.signal_resume(signal=signal, actor=executor)
    assert citizen.status_url(signal) in first.body
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        reply = services.reply_submit(signal=signal, text="Яму заделали.", actor=executor)
        services.reply_approve(reply=reply, actor=analyst)
    with (
        time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False),
        capture(execute=True),
    ):
        assert news_sweep() == 1
    second = [m for m in mail.outbox if m.to == ["petr@example.org"]][-1]
    assert "Яму заделали." in second.body and "Ответ дан" in second.body
    # The stop link: the page asks, the button stops (a mail scanner opening it stops nothing).
    stop = next(line for line in second.body.splitlines() if "/news/stop/" in line).split()[-1]
    path = stop.removeprefix(settings.SITE_URL.rstrip("/"))
    assert client.get(path).status_code == 200 and Subscription.objects.exists()
    assert "больше не будете" in client.post(path).content.decode()
    assert not Subscription.objects.exists()
    assert client.get(path[:-3] + "xyz/").status_code == 200  # a spoiled link: a plain page


def test_the_news_needs_an_e_mail_and_takes_the_contact_when_it_is_one(
    client, region, agency, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    SourceFactory(region=region, channel="widget", agency=agency)
    refused = _widget_post(client, agency, contact="+79123456789", news="on")
    assert refused.status_code == 400 and "Укажите e-mail" in refused.content.decode()
    assert not Signal.objects.exists()
    _widget_post(client, agency, contact="Petr@Example.org", news="on")
    assert Subscription.objects.get().email == "petr@example.org"
    _widget_post(client, agency, contact="petr@example.org")  # not asked: none
    assert Subscription.objects.count() == 1


def _start(client, text, capture, update_id=3001, chat=77):  # type: ignore[no-untyped-def]
    message = TG_MESSAGE["message"] | {"message_id": update_id, "text": text,
                                       "chat": {"id": chat, "type": "private"},
                                       "from": {"id": chat, "first_name": "Пётр"}}  # fmt: skip
    return tg(client, {"update_id": update_id, "message": message}, capture=capture)


def test_the_author_may_take_the_news_in_telegram_from_the_status_page(
    client, region, agency, analyst, executor, tg_source, standin, eager, settings, tmp_path,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    capture = django_capture_on_commit_callbacks
    SourceFactory(region=region, channel="widget", agency=agency)
    receipt = _widget_post(client, agency, contact="+79123456789").content.decode()
    signal = Signal.objects.get()
    assert "t.me/" not in receipt  # no bot named yet: not offered
    tg_source.bot_username, tg_source.reply_token = "cur74_bot", "123:bot-token"
    tg_source.save()
    link = f"https://t.me/cur74_bot?start=n{signal.public_key.hex}"
    assert link in client.get(citizen.status_path(signal)).content.decode()
    # A bare /start (anyone's first touch of a bot) is no complaint, and a stranger's key is nothing.
    _start(client, "/start", capture, update_id=3000)
    _start(client, "/start n" + "0" * 32, capture, update_id=3001)
    assert Signal.objects.count() == 1 and not Subscription.objects.exists()
    _start(client, f"/start n{signal.public_key.hex}", capture, update_id=3002)
    _start(client, f"/start n{signal.public_key.hex}", capture, update_id=3003)  # again: once
    [subscription] = Subscription.objects.all()
    assert (subscription.telegram_chat, subscription.bot, subscription.email) == (
        "77",
        tg_source,
        "",
    )
    assert Signal.objects.count() == 1
    [welcome] = standin.of("telegram")
    assert "/bot123:bot-token/" in welcome.path and welcome.body["chat_id"] == "77"
    assert signal.number in welcome.body["text"] and "reply_parameters" not in welcome.body
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        services.signal_request_info(signal=signal, question="Какой номер дома?", actor=executor)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)), capture(execute=True):
        assert news_sweep() == 1
    news = standin.of("telegram")[-1].body
    assert news["chat_id"] == "77" and "Какой номер дома?" in news["text"]
