"""The first page: login and the list of visible signals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signals_app.workflow import services
from tests.factories import SignalFactory

# session, user, staff context (2), unread notifications, queue counters, newest id, count,
# page, the region's default calendar for the SLA badges (none here, so no working periods or
# days to read), the page's undelivered answers (one query for the red marks), saved views; the
# bulk inputs and the options of the "more filters" panel load when they are opened (the SLA
# terms of the page's policy versions are parsed once per process)
QUEUE_QUERIES = 11

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("signals_app:signal_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_russian_and_has_a_strict_csp(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Вход" in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_login_with_a_wrong_password_shows_a_clear_error(client, analyst):
    response = client.post(reverse("login"), {"username": "analyst", "password": "wrong"})
    assert response.status_code == 200
    assert "Неверный логин или пароль" in response.content.decode()


def test_russian_is_the_default_even_for_an_english_browser(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_list"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert "Обращения" in response.content.decode()


def test_english_is_available_by_choice(client, analyst):
    client.force_login(analyst)
    client.post(reverse("set_language"), {"language": "en", "next": "/signals/"})
    response = client.get(reverse("signals_app:signal_list"))
    assert "Signals" in response.content.decode()
    assert "Обращения" not in response.content.decode()


def test_list_shows_only_visible_signals(client, region, other_region, executor, agency):
    mine = SignalFactory(region=region)
    services.signal_route(signal=mine, agency=agency, actor=None)
    hidden = SignalFactory(region=region)
    client.force_login(executor)
    body = client.get(reverse("signals_app:signal_list")).content.decode()
    assert mine.number in body
    assert hidden.number not in body


def test_user_without_role_sees_an_empty_list(client, nobody, new_signal):
    client.force_login(nobody)
    response = client.get(reverse("signals_app:signal_list"))
    assert response.status_code == 200
    assert new_signal.number not in response.content.decode()
    assert "Нет обращений" in response.content.decode()


def test_htmx_request_gets_only_the_results_fragment(client, analyst, new_signal):
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert new_signal.number in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_bad_page_number_falls_back_instead_of_failing(client, analyst, new_signal):
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_list"), {"page": "abc"})
    assert response.status_code == 200
    response = client.get(reverse("signals_app:signal_list"), {"page": "99999"})
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_does_not_grow_with_rows(
    client, analyst, region, category, agency, rows, django_assert_num_queries
):
    for _ in range(rows):
        signal = SignalFactory(region=region, category=category)
        services.signal_route(signal=signal, agency=agency, actor=None)
    client.force_login(analyst)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("signals_app:signal_list"), {"view": "open"})
    assert response.status_code == 200
    assert response.content.decode().count("<tr data-href=") == rows


def test_unknown_pages_get_a_russian_404(client, analyst):
    client.force_login(analyst)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


def test_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


@pytest.mark.parametrize("rows", [1, 30])
def test_notifications_page_query_count_and_mark_read(
    client, analyst, new_signal, rows, django_assert_num_queries
):
    from signals_app.models import Notification

    Notification.objects.bulk_create(
        Notification(user=analyst, signal=new_signal, kind="escalation", title=f"Сообщение {i}")
        for i in range(rows)
    )
    client.force_login(analyst)
    # session, user, unread count, roles and regions, agencies (the menu), page count, page
    with django_assert_num_queries(7):
        response = client.get(reverse("signals_app:notification_list"))
    body = response.content.decode()
    assert body.count('class="unread"') == rows
    assert f'title="Непрочитанные">{rows}<' in body
    response = client.post(reverse("signals_app:notification_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=analyst, read_at__isnull=True).exists()


def test_marking_read_touches_only_ones_own_notifications(client, analyst, supervisor, new_signal):
    from signals_app.models import Notification

    theirs = Notification.objects.create(
        user=supervisor, signal=new_signal, kind="escalation", title="Чужое"
    )
    client.force_login(analyst)
    client.post(reverse("signals_app:notification_read"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_post(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("signals_app:notification_read")).status_code == 405


def test_every_page_sends_a_csp_the_admin_and_errors_included(client, analyst):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    for path in ("/admin/login/", "/admin/", "/no-such-page/", "/api/v1/nope/", "/healthz/"):
        if path == "/admin/":
            client.force_login(admin)
        response = client.get(path)
        policy = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, path
        assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
