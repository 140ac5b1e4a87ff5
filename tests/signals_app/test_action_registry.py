"""One registry of actions: what the page offers is what the API lists is what the service
accepts, for every role, status and action; and the registry agrees with the transition table."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from signals_app.choices import Status
from signals_app.errors import ActionForbidden, InvalidTransition, WorkflowError
from signals_app.models import Mailbox, OutsideBody, Reply, Signal
from signals_app.outbound.models import UNDELIVERED, OutboxState, ReplyDelivery
from signals_app.sla.defaults import sla_defaults_install
from signals_app.workflow import actions as registry
from signals_app.workflow import services
from tests.factories import AgencyFactory, CategoryFactory, SignalFactory, SourceFactory
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db

ROLES = [
    "analyst", "supervisor", "coordinator", "executor", "outsider_executor", "foreign_analyst",
    "nobody",
]  # fmt: skip
OFFERED = re.compile(r"/signals/[\w-]+/do/([a-z_]+)/")


class Rollback(Exception):
    pass


@pytest.fixture
def world(request, region, agency, category, analyst, executor, coordinator):
    sla_defaults_install(region=region)
    other_category = CategoryFactory(region=region, parent=category.parent, code="zhkh-heat")
    body = OutsideBody.objects.create(region=region, name="УК", email="uk@example.ru")
    mail = SourceFactory(region=region, channel="email", slug="mail")
    Mailbox.objects.create(source=mail, host="imap.example.org", username="cur@example.org")
    return {
        "body": body,
        "other_agency": AgencyFactory(region=region, name="Управление дорог"),
        "other_category": other_category,
        "other_signal": SignalFactory(region=region, channel="email", text="Другое обращение"),
    }


def _signal_in(status, *, region, agency, analyst, executor):
    # E-mail: the 59-FZ policy allows one extension, so "extend" is a real choice.
    signal = SignalFactory(region=region, channel="email")
    drive(signal, status, analyst=analyst, executor=executor, agency=agency)
    if status in (Status.ANSWERED, Status.CLOSED):
        ReplyDelivery.objects.filter(signal=signal).update(state=OutboxState.FAILED)
    return Signal.objects.get(pk=signal.pk)


def _data(name, signal, users, world):
    submitted = Reply.objects.filter(signal=signal, state=Reply.State.SUBMITTED).first()
    failed = ReplyDelivery.objects.filter(signal=signal, state=OutboxState.FAILED).first()
    missing = ReplyDelivery.objects.filter(signal=signal, state__in=UNDELIVERED).first()
    return {
        "route": {"agency": world["other_agency"].pk},
        "assign": {"assignee": users["executor"].pk},
        "request_info": {"reason": "Уточните номер дома"},
        "extend": {"reason": "Запрос в другой орган"},
        "reply": {"text": "Промежуточный ответ", "kind": "interim"},
        "draft": {"text": "Черновик"},
        "approve": {"reply": submitted.pk if submitted else 0},
        "return": {"reply": submitted.pk if submitted else 0, "comment": "Доработать"},
        "revise": {"reply": submitted.pk if submitted else 0, "text": "Исправленный ответ"},
        "reopen": {"reason": "Не решено"},
        "reject": {"reason": "Спам"},
        "duplicate": {"original": world["other_signal"].number},
        "merge": {"children": world["other_signal"].number},
        "category": {"category": world["other_category"].pk},
        "priority": {"priority": "high"},
        "channel": {"channel": "pos"},
        "note": {"text": "Заметка"},
        "forward": {"body": world["body"].pk},
        "part_add": {"agency": world["other_agency"].pk, "task": "Проверить участок"},
        "redeliver": {"delivery": failed.pk if failed else 0},
        "handed": {"delivery": missing.pk if missing else 0, "reason": "Позвонили"},
    }.get(name, {})


def _accepted(name, user, signal, data) -> bool:
    """Whether the service performs the action (in a savepoint that is rolled back): the
    input is checked as the page and the API check it, then the service is called directly,
    so its own guard is what decides."""
    action = registry.action(name)
    try:
        with transaction.atomic():
            try:
                values = registry.validate(name, user=user, signal=signal, data=data)
            except WorkflowError:
                return False
            arguments = {**values, "actor": user}
            for parameter in ("signal", "parent"):
                if parameter in action.parameters:
                    arguments[parameter] = signal.pk
            try:
                action.function(**arguments)
            except WorkflowError:
                return False
            raise Rollback
    except Rollback:
        return True


@pytest.mark.parametrize("status", list(Status))
def test_offered_on_the_page_iff_listed_by_the_api_iff_accepted_by_the_service(
    request, client, status, region, agency, analyst, executor, world
):
    signal = _signal_in(status, region=region, agency=agency, analyst=analyst, executor=executor)
    users = {role: request.getfixturevalue(role) for role in ROLES}
    checked = 0
    for role in ROLES:
        user = users[role]
        client.force_login(user)
        page = client.get(reverse("signals_app:signal_detail", args=[signal.number]))
        api = client.get(reverse("api:signal_actions", args=[signal.number]))
        if page.status_code == 404:
            assert api.status_code == 404, role
            on_page, in_api = set(), set()
        else:
            assert page.status_code == 200 and api.status_code == 200, role
            on_page = set(OFFERED.findall(page.content.decode()))
            in_api = {item["name"] for item in api.json()}
        available = {item.name for item in registry.actions_available(user, signal)}
        for name in registry.REGISTRY:
            accepted = _accepted(name, user, signal, _data(name, signal, users, world))
            offered = name in on_page
            assert offered == (name in in_api) == (name in available) == accepted, (
                f"{role} / {status} / {name}: page {offered}, API {name in in_api}, "
                f"registry {name in available}, service {accepted}"
            )
            checked += 1
        signal.refresh_from_db()
        assert signal.status == status  # everything was rolled back
    assert checked == len(ROLES) * len(registry.REGISTRY)


def test_the_registry_agrees_with_the_transition_table():
    assert registry.registry_problems() == []
    for action in registry.ACTIONS:
        assert callable(action.function), action.name
        assert action.statuses, action.name
        assert action.label, action.name


def test_a_reject_by_agency_staff_is_refused_for_the_right_not_the_status(
    new_signal, executor, agency, analyst
):
    services.signal_route(signal=new_signal, agency=agency, actor=analyst)
    with pytest.raises(ActionForbidden) as refused:
        services.signal_reject(signal=new_signal, reason="Спам", actor=executor)
    assert "аналитики центра" in str(refused.value)
    new_signal.refresh_from_db()
    assert new_signal.status == Status.IN_PROGRESS


def test_a_status_refusal_names_the_status(new_signal, analyst):
    with pytest.raises(InvalidTransition) as refused:
        services.signal_close(signal=new_signal, actor=analyst)
    assert "«Новый»" in str(refused.value) and "«Закрыть»" in str(refused.value)


def test_four_eyes_the_author_of_a_reply_never_approves_it(
    new_signal, analyst, request, region, agency, executor
):
    from tests.conftest import _centre_user

    second = _centre_user("analyst_two", "analyst", region)
    reply = services.reply_submit(signal=new_signal, text="Ответ центра", actor=analyst)
    assert "approve" not in {a.name for a in registry.actions_available(analyst, new_signal)}
    with pytest.raises(ActionForbidden):
        services.reply_approve(reply=reply, actor=analyst)
    reply.refresh_from_db()
    assert reply.state == Reply.State.SUBMITTED
    services.reply_approve(reply=reply, actor=second)
    reply.refresh_from_db()
    assert reply.state == Reply.State.PUBLISHED and reply.reviewer == second


def test_a_reviewer_edits_then_another_approves_and_the_timeline_keeps_both_texts(
    new_signal, analyst, region, agency, executor
):
    from tests.conftest import _centre_user

    second = _centre_user("analyst_two", "analyst", region)
    services.signal_route(signal=new_signal, agency=agency, actor=analyst)
    reply = services.reply_submit(signal=new_signal, text="Сделаем", actor=executor)
    services.reply_revise(reply=reply, text="Работы выполнят до 5 декабря.", actor=analyst)
    with pytest.raises(ActionForbidden):  # the reviewer is now its last editor
        services.reply_approve(reply=reply, actor=analyst)
    services.reply_approve(reply=reply, actor=second)
    edited = new_signal.events.get(kind="reply_edited")
    assert edited.changes["text"] == ["Сделаем", "Работы выполнят до 5 декабря."]
    reply.refresh_from_db()
    assert reply.text == "Работы выполнят до 5 декабря." and reply.state == Reply.State.PUBLISHED


def test_a_coordinator_of_a_parent_agency_assigns_its_own_staff_on_a_child_s_signal(
    client, new_signal, analyst, coordinator, executor, child_agency
):
    services.signal_route(signal=new_signal, agency=child_agency, actor=analyst)
    client.force_login(coordinator)
    page = client.get(reverse("signals_app:signal_detail", args=[new_signal.number]))
    body = page.content.decode()
    assert f'<option value="{executor.pk}"' in body  # the ministry's executor, by name
    new_signal.refresh_from_db()
    services.signal_assign(signal=new_signal, assignee=executor, actor=coordinator)
    new_signal.refresh_from_db()
    assert new_signal.assignee == executor


def test_the_bulk_category_list_has_the_region_s_categories(client, analyst, category):
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_bulk_fields"), {"action": "category"})
    assert f'<option value="{category.pk}"' in response.content.decode()


def test_the_api_lists_the_actions_with_their_input_fields(client, new_signal, analyst):
    client.force_login(analyst)
    listed = client.get(reverse("api:signal_actions", args=[new_signal.number])).json()
    route = next(item for item in listed if item["name"] == "route")
    assert [field["name"] for field in route["input_fields"]] == ["agency", "assignee", "reason"]
    assert route["url"].endswith(f"/api/v1/signals/{new_signal.number}/actions/route/")
    assert route["key"] == "r" and route["bulk"] is True
    assert "close" not in {item["name"] for item in listed}


def test_an_action_by_name_over_the_api(client, new_signal, analyst, agency):
    client.force_login(analyst)
    url = reverse("api:signal_action", args=[new_signal.number, "route"])
    refused = client.post(url, {"agency": 999999}, content_type="application/json")
    assert refused.status_code == 400 and "agency" in refused.json()["errors"]
    done = client.post(
        url, {"agency": agency.pk, "version": new_signal.version}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == Status.IN_PROGRESS
    stale = client.post(
        reverse("api:signal_action", args=[new_signal.number, "priority"]),
        {"priority": "high", "version": new_signal.version}, content_type="application/json",
    )  # fmt: skip
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    unknown = client.post(reverse("api:signal_action", args=[new_signal.number, "explode"]), {})
    assert unknown.status_code == 404
