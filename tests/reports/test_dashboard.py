"""The live dashboard: today's and this week's figures, per municipality, by role."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils import timezone

from reports.dashboard import dashboard_figures
from signals_app.models import Signal
from signals_app.workflow import services
from tests.factories import MunicipalityFactory, SignalFactory

TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_figures_of_today_and_the_week(region, agency, analyst, municipality):
    """A Tuesday morning: the half hour the figures are read after stays within the day."""
    now = timezone.now()
    other_place = MunicipalityFactory(region=region, name="Копейск")
    fresh = SignalFactory(region=region, municipality=municipality, received_at=now)
    routed = SignalFactory(region=region, municipality=other_place, received_at=now)
    services.signal_route(signal=routed, agency=agency, actor=analyst)
    Signal.objects.filter(pk=routed.pk).update(
        reacted_at=now + timedelta(minutes=30), next_deadline_at=now - timedelta(minutes=1)
    )
    SignalFactory(region=region, received_at=now - timedelta(days=40))  # open, long ago
    figures = dashboard_figures(region=region, now=now + timedelta(minutes=31))
    assert figures["received_today"] == 2
    # «В работе» is the queue tab's status; every open signal is «Открыто»
    assert figures["in_work"] == 1 and figures["open_now"] == 3 and figures["overdue"] == 1
    assert [day["count"] for day in figures["volume"]] == [0, 0, 0, 0, 0, 0, 2]
    assert figures["volume"][-1]["share"] == 100
    assert figures["reaction_today_seconds"] == 1800.0
    places = {row["name"]: row for row in figures["municipalities"]}
    assert places["Копейск"]["overdue"] == 1 and places[municipality.name]["week"] == 1
    only_agency = dashboard_figures(region=region, agency=agency, now=now)
    assert only_agency["open_now"] == 1 and fresh.pk  # the agency's own signals only


def test_dashboard_pages_by_role(
    client, region, agency, other_agency, supervisor, executor, outsider_executor,
    django_assert_max_num_queries,
):  # fmt: skip
    SignalFactory(region=region)
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200 and "Поступило сегодня" in response.content.decode()
    client.force_login(executor)
    assert client.get(reverse("reports:dashboard")).status_code == 403
    assert client.get(reverse("reports:agency_dashboard", args=[agency.pk])).status_code == 200
    client.force_login(outsider_executor)
    assert client.get(reverse("reports:agency_dashboard", args=[agency.pk])).status_code == 404


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_every_figure_opens_the_queue_with_its_filters(client, region, supervisor, analyst, agency):
    signal = SignalFactory(region=region)
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    client.force_login(supervisor)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert 'href="/signals/?view=&amp;status=in_progress">1</a>' in html
    assert 'href="/signals/?view=open">1</a>' in html
    assert "/signals/?view=&amp;received_from=2026-11-24&amp;received_to=2026-11-24" in html
    assert 'class="bars columns"' in html and "<svg" in html and "style=" not in html
    board = client.get(reverse("reports:agency_dashboard", args=[agency.pk])).content.decode()
    assert f"status=in_progress&amp;agency={agency.pk}" in board
    client.force_login(analyst)  # the queue counts the same
    queue = client.get(reverse("signals_app:signal_list"), {"view": "", "status": "in_progress"})
    assert "1 обращение" in queue.content.decode()
