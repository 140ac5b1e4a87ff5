"""Russian as people write it: plurals, distinct headers, one word for a signal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from signals_app.ui.formatting import ago

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "text"),
    [(1, "1 день назад"), (2, "2 дня назад"), (5, "5 дней назад"), (21, "21 день назад"),
     (11, "11 дней назад")],
)  # fmt: skip
def test_days_ago_in_russian_plurals(days, text):
    now = timezone.now()
    with translation.override("ru"):
        assert ago(now - timedelta(days=days, minutes=1), now) == text


def test_the_deadlines_table_has_three_different_headers(client, analyst, region):
    from signals_app.sla.defaults import sla_defaults_install
    from tests.factories import SignalFactory

    sla_defaults_install(region=region)
    signal = SignalFactory(region=region)
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert (
        '<th scope="col">Срок</th><th scope="col">Истекает</th><th scope="col">Осталось</th>'
        in page
    )


def test_the_mass_incident_page_says_obrashchenie(client, analyst, region):
    client.force_login(analyst)
    page = client.get(reverse("signals_app:mass_proposal_list")).content.decode()
    assert "сигнал" not in page.lower()


def test_the_admin_names_login_attempts_in_russian(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get("/admin/").content.decode()
    assert "Попытки входа" in page and "AXES" not in page and ">Axes<" not in page


def test_a_reply_without_an_author_has_no_stray_separator(client, analyst, region):
    from signals_app.models import Reply
    from tests.factories import SignalFactory

    signal = SignalFactory(region=region)
    from django.utils import timezone

    Reply.objects.create(signal=signal, kind="notice", state="published", text="Срок продлён",
                         published_at=timezone.now())  # fmt: skip
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "· ·" not in page and "·  ·" not in page
