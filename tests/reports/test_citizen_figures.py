"""What the citizens said, in the monthly report and the dashboard: shares of «решена»,
of reopen requests and of confirmed reopenings, per agency, topic and municipality, with last
month and a year ago; agencies with too few answers are shown but not ranked."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from agencies.models import Membership
from reports.dashboard import dashboard_figures
from reports.figures import RANK_MIN, monthly_figures
from signals_app import citizen
from signals_app.choices import Status
from signals_app.models import Signal
from signals_app.workflow import services
from tests.factories import AgencyFactory, SignalFactory
from tests.signals_app.helpers import drive
from tests.signals_app.test_citizen_loop import _fresh_limits  # noqa: F401 — autouse fixture

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Yekaterinburg")


def _asked(region, agency, analyst, executor, day):  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 11, day, 10, tzinfo=ZONE), tick=False):
        signal = SignalFactory(region=region, channel="widget")
        return drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)


def _say(client, signal, solved, day):  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 11, day, 12, tzinfo=ZONE)):
        client.post(citizen.status_path(signal), {"solved": "yes" if solved else "no"})


def test_the_month_counts_what_the_citizens_said(client, region, agency, analyst, executor):
    small = AgencyFactory(region=region, name="Школа № 5")
    Membership.objects.create(user=executor, agency=small, role=Membership.Role.EXECUTOR)
    big = [_asked(region, agency, analyst, executor, 12 + index) for index in range(RANK_MIN)]
    for index, signal in enumerate(big):
        _say(client, signal, solved=index >= 3, day=22)  # 7 of 10 solved
    lone = _asked(region, small, analyst, executor, 13)
    _say(client, lone, solved=True, day=22)  # one answer, 100 %: shown, not ranked
    with time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=ZONE)):
        services.reopen_request_confirm(signal=big[0], actor=analyst)
        services.reopen_request_decline(signal=big[1], reason="Работы приняты", actor=analyst)
    _asked(region, agency, analyst, executor, 14)  # asked, never answered
    with time_machine.travel(datetime(2026, 11, 27, 10, tzinfo=ZONE)):
        waiting = SignalFactory(region=region, channel="widget")
        drive(waiting, Status.AWAITING_INFO, analyst=analyst, executor=executor, agency=agency)
        services.signal_close_without_details(signal=waiting, actor=analyst)

    with time_machine.travel(datetime(2026, 12, 1, 6, tzinfo=ZONE)):
        figures = monthly_figures(region=region, year=2026, month=11)
    said = figures["citizens"]
    assert (said["asked"], said["answered"], said["solved"]) == (12, 11, 8)
    assert said["not_solved"] == 3 and said["confirmed"] == 1
    assert said["satisfaction_share"] == round(8 / 11, 4)
    assert said["reopen_request_share"] == round(3 / 11, 4)
    assert said["confirmed_share"] == round(1 / 11, 4)
    assert said["previous_month"]["answered"] == 0 and said["year_ago"]["answered"] == 0
    rows = {row["name"]: row for row in said["by_agency"]}
    assert rows["Школа № 5"]["satisfaction_share"] == 1.0 and not rows["Школа № 5"]["ranked"]
    assert rows["Администрация города"]["ranked"]
    assert said["most_satisfied"] == ["Администрация города"]  # the school is too small
    assert figures["closed_no_details"] == 1

    with time_machine.travel(datetime(2026, 11, 28, 10, tzinfo=ZONE)):
        board = dashboard_figures(region=region, now=timezone.now())
    assert board["surveys_answered"] == 11 and board["solved_share"] == round(100 * 8 / 11)
    assert board["reopen_pending"] == 1  # big[2]: nobody decided yet


def test_an_agency_with_few_answers_due_is_not_called_the_worst(region, agency, analyst, executor):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=ZONE), tick=False):
        signal = SignalFactory(region=region, channel="widget")
        drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    Signal.objects.filter(pk=signal.pk).update(answer_due_at=datetime(2026, 11, 5, 10, tzinfo=ZONE))
    with time_machine.travel(datetime(2026, 12, 1, 6, tzinfo=ZONE)):
        figures = monthly_figures(region=region, year=2026, month=11)
    [row] = figures["agencies"]
    assert row["on_time_share"] == 0.0 and row["answer_due"] < RANK_MIN
    assert figures["worst_agencies"] == [] and figures["rank_min"] == RANK_MIN
