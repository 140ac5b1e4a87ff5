"""The queue page around the list: role defaults, search highlights, live rows, bulk actions,
saved views, answer templates, "my work", the agency page, login throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from signals_app.choices import Status
from signals_app.models import AnswerTemplate, SavedView, Signal
from signals_app.workflow import services
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

QUEUE = reverse("signals_app:signal_list")


def numbers(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


@pytest.fixture
def board(region, agency, other_agency, analyst, executor, coordinator):
    """One signal in each situation a default view has to tell apart."""
    fresh = SignalFactory(region=region, text="Яма на дороге у школы")
    routed_free = SignalFactory(region=region, text="Не вывозят мусор")
    services.signal_route(signal=routed_free, agency=agency, actor=analyst)
    routed_mine = SignalFactory(region=region, text="Нет отопления")
    services.signal_route(signal=routed_mine, agency=agency, actor=analyst, assignee=executor)
    routed_other_person = SignalFactory(region=region, text="Сломан лифт")
    services.signal_route(
        signal=routed_other_person, agency=agency, actor=analyst, assignee=coordinator
    )
    elsewhere = SignalFactory(region=region, text="Нет света")
    services.signal_route(signal=elsewhere, agency=other_agency, actor=analyst)
    overdue = SignalFactory(region=region, text="Опасное дерево")
    services.signal_route(signal=overdue, agency=other_agency, actor=analyst)
    Signal.objects.filter(pk=overdue.pk).update(
        next_deadline_at=timezone.now() - timedelta(hours=1)
    )
    closed = SignalFactory(region=region, text="Закрытое")
    drive(closed, Status.CLOSED, analyst=analyst, executor=executor, agency=agency)
    return {
        "fresh": fresh, "routed_free": routed_free, "routed_mine": routed_mine,
        "routed_other_person": routed_other_person, "elsewhere": elsewhere,
        "overdue": overdue, "closed": closed,
    }  # fmt: skip


def shown(client, user, params=None):  # type: ignore[no-untyped-def]
    client.force_login(user)
    body = client.get(QUEUE, params or {}).content.decode()
    return body


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("analyst", {"fresh", "overdue"}),
        ("coordinator", {"routed_free", "routed_mine", "routed_other_person"}),
        ("executor", {"routed_free", "routed_mine"}),
        ("supervisor", {"fresh", "routed_free", "routed_mine", "routed_other_person",
                        "elsewhere", "overdue"}),
    ],
)  # fmt: skip
def test_each_role_starts_from_its_own_view(client, request, board, who, expected):
    body = shown(client, request.getfixturevalue(who))
    seen = {name for name, signal in board.items() if signal.number in body}
    assert seen == expected


def test_an_explicit_empty_view_shows_everything_visible(client, analyst, board):
    body = shown(client, analyst, {"view": ""})
    assert all(signal.number in body for signal in board.values())


def test_supervisor_gets_no_bulk_bar_analyst_does(client, analyst, supervisor, board):
    assert 'id="bulk-form"' not in shown(client, supervisor)
    assert 'id="bulk-form"' in shown(client, analyst)


def test_search_highlights_the_match_and_escapes_the_rest(client, analyst, region):
    SignalFactory(region=region, text="<b>Внимание</b> прорвало трубу, вода течёт")
    body = shown(client, analyst, {"q": "вода", "view": ""})
    assert "<mark>вода</mark>" in body
    assert "&lt;b&gt;Внимание&lt;/b&gt;" in body and "<b>Внимание</b>" not in body


def test_sla_badges_say_time_left_and_overdue(client, analyst, board):
    Signal.objects.filter(pk=board["fresh"].pk).update(
        sla_started_at=timezone.now() - timedelta(days=1),
        next_deadline_at=timezone.now() + timedelta(days=30),
    )
    body = shown(client, analyst, {"view": ""})
    assert 'class="sla sla-overdue"' in body
    assert 'class="sla sla-ok"' in body


def test_new_rows_endpoint_returns_only_later_rows_of_the_filter(client, analyst, region, board):
    newest = max(signal.pk for signal in board.values())
    later = SignalFactory(region=region, text="Новая жалоба")
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_list_new"), {"after": newest})
    body = response.content.decode()
    assert later.number in body and board["fresh"].number not in body
    assert f"after={later.pk}" in body  # the next poll starts after it
    response = client.get(reverse("signals_app:signal_list_new"), {"after": later.pk})
    assert "data-href" not in response.content.decode()


def test_bulk_route_reports_each_row_and_refuses_one(client, analyst, agency, region, board):
    rejected = SignalFactory(region=region)
    services.signal_reject(signal=rejected, reason="Спам", actor=analyst)
    client.force_login(analyst)
    response = client.post(
        reverse("signals_app:signal_bulk"),
        {"action": "route", "agency": agency.pk, "ids": [board["fresh"].pk, rejected.pk]},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<strong>{board['fresh'].number}</strong> — направлено" in body
    assert f"<strong>{rejected.number}</strong> — отказано" in body
    assert response["HX-Trigger"] == "queue-changed"
    board["fresh"].refresh_from_db()
    rejected.refresh_from_db()
    assert board["fresh"].agency_id == agency.pk and rejected.agency_id is None


def test_the_bulk_bar_offers_agency_staff_only_what_their_role_allows(
    client, executor, analyst, other_agency, board
):
    client.force_login(executor)
    bar = client.get(reverse("signals_app:signal_list")).content.decode()
    assert '<option value="assign"' not in bar  # coordinators and analysts assign
    for refused in ("route", "category", "reject", "merge"):
        assert f'<option value="{refused}"' not in bar
    # Posted anyway, it is refused as an action the bar does not have, and nothing changes.
    response = client.post(
        reverse("signals_app:signal_bulk"),
        {"action": "route", "agency": other_agency.pk, "ids": [board["routed_mine"].pk]},
    )
    assert response.status_code == 400 and "Выберите действие" in response.content.decode()
    board["routed_mine"].refresh_from_db()
    assert board["routed_mine"].agency_id != other_agency.pk
    client.force_login(analyst)
    bar = client.get(reverse("signals_app:signal_list")).content.decode()
    for offered in ("route", "assign", "category", "reject", "merge"):
        assert f'<option value="{offered}"' in bar


def test_bulk_on_invisible_rows_counts_them_as_not_found(client, executor, board):
    client.force_login(executor)
    response = client.post(
        reverse("signals_app:signal_bulk"),
        {"action": "reject", "reason": "x", "ids": [board["elsewhere"].pk]},
    )
    assert response.status_code == 400
    board["elsewhere"].refresh_from_db()
    assert board["elsewhere"].status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "explode"}, "Выберите действие"),
        ({"action": "route"}, "Отметьте хотя бы одно обращение"),
        ({"action": "reject", "reason": " "}, "нужно указать причину"),
        ({"action": "route", "agency": "999999"}, "нет такого ведомства"),
    ],
)
def test_bulk_bad_input_is_a_clear_400(client, analyst, board, data, message):
    client.force_login(analyst)
    if data.get("action") != "route" or "agency" in data:
        data = {**data, "ids": [board["fresh"].pk]}
    response = client.post(reverse("signals_app:signal_bulk"), data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_bulk_assign_category_reject_and_merge(
    client, analyst, coordinator, executor, region, agency, category
):
    first, second, third = (SignalFactory(region=region) for _ in range(3))
    for signal in (first, second):
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    client.force_login(analyst)
    url = reverse("signals_app:signal_bulk")
    client.post(url, {"action": "assign", "assignee": executor.pk, "ids": [first.pk, second.pk]})
    client.post(url, {"action": "category", "category": category.pk, "ids": [third.pk]})
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.assignee_id == executor.pk and third.category_id == category.pk
    merge = {"action": "merge", "parent": first.number, "ids": [first.pk, second.pk, third.pk]}
    warned = client.post(url, merge).content.decode()
    assert "на другую тему" in warned and warned.count("объединено в") == 1  # third: asked
    response = client.post(url, merge | {"ids": [first.pk, third.pk], "confirm": "true"})
    assert response.content.decode().count("объединено в") == 1
    assert set(Signal.objects.filter(parent=first).values_list("pk", flat=True)) == {
        second.pk,
        third.pk,
    }
    client.post(url, {"action": "reject", "reason": "Не наша компетенция", "ids": [third.pk]})
    third.refresh_from_db()
    first.refresh_from_db()
    assert third.status == first.status  # a child follows its lead, not its own moves


def test_saved_views_private_shared_and_owned(
    client, analyst, coordinator, foreign_analyst, region
):
    client.force_login(analyst)
    response = client.post(
        reverse("signals_app:saved_view_save"),
        {"name": "Просрочка ЖКХ", "query": "deadline=overdue&page=3&q=", "is_shared": "on"},
    )
    view = SavedView.objects.get(owner=analyst)
    assert view.query == "deadline=overdue" and view.is_shared and view.region_id == region.pk
    assert response.status_code == 302 and response["Location"].endswith("?deadline=overdue")
    assert "Просрочка ЖКХ" in shown(client, analyst)
    assert "Просрочка ЖКХ" in shown(client, coordinator)  # shared in the region
    assert "Просрочка ЖКХ" not in shown(client, foreign_analyst)
    client.force_login(coordinator)
    url = reverse("signals_app:saved_view_change", args=[view.pk])
    assert client.post(url, {"delete": "1"}).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.force_login(analyst)
    client.post(url, {})  # unshare
    view.refresh_from_db()
    assert not view.is_shared
    assert "Просрочка ЖКХ" not in shown(client, coordinator)
    client.force_login(analyst)
    client.post(url, {"delete": "1"})
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_saving_a_view_without_a_name_says_so(client, analyst):
    client.force_login(analyst)
    response = client.post(
        reverse("signals_app:saved_view_save"), {"name": " ", "query": "q=x"}, follow=True
    )
    assert "Дайте представлению название" in response.content.decode()
    assert not SavedView.objects.exists()


def test_answer_templates_are_managed_by_their_owner(
    client, executor, coordinator, region, category
):
    client.force_login(executor)
    url = reverse("signals_app:answer_template_list")
    response = client.post(
        url, {"title": "Вода", "text": "Ответ № {number}", "category": category.pk}
    )
    assert response.status_code == 302
    template = AnswerTemplate.objects.get(owner=executor)
    assert template.region_id == region.pk and not template.is_shared
    response = client.post(url, {"title": "Вода", "text": "Снова"})
    assert response.status_code == 400 and "уже есть шаблон" in response.content.decode()
    client.force_login(coordinator)
    edit = reverse("signals_app:answer_template_edit", args=[template.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"delete": "1"}).status_code == 404
    assert "Вода" not in client.get(url).content.decode()  # private
    client.force_login(executor)
    client.post(edit, {"title": "Вода", "text": "Ответ № {number}", "is_shared": "on"})
    client.force_login(coordinator)
    assert "Вода" in client.get(url).content.decode()  # shared now
    client.force_login(executor)
    client.post(edit, {"delete": "1"})
    assert not AnswerTemplate.objects.exists()


def test_my_work_lists_assigned_returned_and_review(client, analyst, executor, agency, region):
    mine = SignalFactory(region=region)
    services.signal_route(signal=mine, agency=agency, actor=analyst, assignee=executor)
    review = SignalFactory(region=region)
    drive(review, Status.REPLY_REVIEW, analyst=analyst, executor=executor, agency=agency)
    client.force_login(executor)
    body = client.get(reverse("signals_app:my_work")).content.decode()
    assert mine.number in body and "Ответы, ждущие вашего согласования" not in body
    client.force_login(analyst)
    body = client.get(reverse("signals_app:my_work")).content.decode()
    assert review.number in body


def test_agency_page_figures_and_visibility(
    client, analyst, executor, outsider_executor, agency, region
):
    signal = SignalFactory(region=region)
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    services.signal_take(signal=signal, actor=executor)
    url = reverse("signals_app:agency_detail", args=[agency.pk])
    client.force_login(executor)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200 and signal.number in body
    assert "Среднее время реакции" in body
    client.force_login(analyst)
    assert client.get(url).status_code == 200
    client.force_login(outsider_executor)
    assert client.get(url).status_code == 404
    assert client.get(reverse("signals_app:agency_detail", args=[999999])).status_code == 404


def test_counts_and_badge_fragments(client, analyst, board):
    client.force_login(analyst)
    body = client.get(reverse("signals_app:signal_counts")).content.decode()
    assert 'id="queue-counts"' in body and "Просроченные" in body
    body = client.get(reverse("signals_app:notification_badge")).content.decode()
    assert "Уведомления" in body


@pytest.mark.parametrize("rows", [1, 30])
def test_agency_page_and_my_work_query_counts(
    client, analyst, executor, agency, region, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        signal = SignalFactory(region=region)
        services.signal_route(signal=signal, agency=agency, actor=analyst, assignee=executor)
    client.force_login(executor)
    with django_assert_max_num_queries(14):
        client.get(reverse("signals_app:agency_detail", args=[agency.pk]))
    with django_assert_max_num_queries(14):
        client.get(reverse("signals_app:my_work"))


def test_login_is_throttled_after_repeated_failures(client, analyst, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "analyst", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "analyst", "password": "pass-12345"})
    assert response.status_code == 429
    assert "временно заблокирован" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_right_password_before_the_limit_logs_in(client, analyst):
    client.post(reverse("login"), {"username": "analyst", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "analyst", "password": "pass-12345"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(analyst.pk)


def test_password_change(client, analyst):
    client.force_login(analyst)
    url = reverse("password_change")
    response = client.post(
        url,
        {"old_password": "bad", "new_password1": "Nw-pass-2026!", "new_password2": "Nw-pass-2026!"},
    )
    assert response.status_code == 200 and "error" in response.content.decode()
    response = client.post(
        url,
        {
            "old_password": "pass-12345",
            "new_password1": "Nw-pass-2026!",
            "new_password2": "Nw-pass-2026!",
        },
    )
    assert response.status_code == 302
    analyst.refresh_from_db()
    assert analyst.check_password("Nw-pass-2026!")


def test_badge_turns_amber_at_the_warning_share_and_red_when_overdue(region, agency, analyst):
    from signals_app.ui.sla_badges import OK, OVERDUE, WARNING, badges_for

    now = timezone.now()
    signals = [SignalFactory(region=region) for _ in range(3)]
    for signal in signals:
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    # Calendar-sized spans so that the ratio does not depend on today's working hours.
    spans = [(now - timedelta(days=1), now + timedelta(days=30)),
             (now - timedelta(days=60), now + timedelta(days=3)),
             (now - timedelta(days=10), now - timedelta(days=4))]  # fmt: skip
    for signal, (start, due) in zip(signals, spans, strict=True):
        Signal.objects.filter(pk=signal.pk).update(sla_started_at=start, next_deadline_at=due)
    rows = list(
        Signal.objects.select_related("agency", "region")
        .filter(pk__in=[s.pk for s in signals])
        .order_by("pk")
    )
    badges = badges_for(rows, now=now)
    assert [badges[row.pk].state for row in rows] == [OK, WARNING, OVERDUE]
    assert badges[rows[2].pk].left < timedelta(0) < badges[rows[0].pk].left


@pytest.mark.parametrize(
    ("action", "marker"),
    [("route", 'name="agency"'), ("assign", 'name="assignee"'), ("category", 'name="category"'),
     ("reject", 'name="reason"'), ("merge", 'name="parent"'), ("junk", "")],
)  # fmt: skip
def test_bulk_inputs_load_for_the_chosen_action(client, analyst, agency, category, action, marker):
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_bulk_fields"), {"action": action})
    body = response.content.decode()
    assert response.status_code == 200
    if marker:
        assert marker in body
    else:
        assert "<select" not in body and "<input" not in body
    if action == "route":
        assert agency.name in body
    if action == "category":
        assert f"{category.parent.name} → {category.name}" in body


def test_more_filters_panel_loads_on_demand_and_keeps_the_choice(client, analyst, category):
    client.force_login(analyst)
    body = client.get(QUEUE, {"view": ""}).content.decode()
    assert 'name="municipality"' not in body  # not rendered with the page
    assert reverse("signals_app:signal_filters") in body
    body = client.get(reverse("signals_app:signal_filters"), {"status": "new"}).content.decode()
    assert 'name="status" value="new" checked' in body and "Муниципалитет" in body
    body = client.get(QUEUE, {"category": category.pk}).content.decode()
    assert f'name="category" value="{category.pk}" checked' in body  # in use: rendered at once


def test_filters_are_searchable_checkbox_lists_and_yes_no_reads_all(client, analyst, category):
    client.force_login(analyst)
    body = client.get(reverse("signals_app:signal_filters"), {"status": ["new", "closed"]})
    html = body.content.decode()
    assert "multiple" not in html  # no Ctrl-click lists
    assert 'aria-label="Найти в списке «Статус»"' in html  # long lists get a search box
    assert "Новый, Закрыт" in html  # the summary names what is chosen
    has_reply = html.split('name="has_reply"', 1)[1].split("</select>", 1)[0]
    assert '<option value="unknown" selected>все</option>' in has_reply
    assert "Неизвестно" not in html
    subtopic = (
        f'<li class="level-1"><label><input type="checkbox" name="category" value="{category.pk}"'
    )
    assert subtopic in html


def test_notification_panel_lists_the_latest_with_links(client, analyst, executor, agency, region):
    signal = SignalFactory(region=region)
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    services.note_add(signal=signal, text="@executor посмотрите", actor=analyst)
    client.force_login(executor)
    body = client.get(reverse("signals_app:notification_panel")).content.decode()
    assert reverse("signals_app:signal_detail", args=[signal.number]) in body
    assert 'class="unread"' in body
    client.force_login(analyst)
    body = client.get(reverse("signals_app:notification_panel")).content.decode()
    assert "упомянул" not in body  # the author of a mention is not notified of it


def test_password_change_page_and_supervisor_header(client, supervisor, analyst):
    client.force_login(supervisor)
    body = client.get(reverse("password_change")).content.decode()
    assert "Сменить пароль" in body
    assert reverse("signals_app:answer_template_list") not in body  # supervisors do not answer
    client.force_login(analyst)
    assert reverse("signals_app:answer_template_list") in client.get(QUEUE).content.decode()
