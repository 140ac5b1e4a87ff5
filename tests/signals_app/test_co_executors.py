"""Several agencies on one signal: an analyst gives parts to co-executors; each co-executor
sees the signal and only its own part, answers it; the lead compiles the final answer, which
waits until every part is answered or closed; a late part is escalated once; the parts count in
their agencies' figures."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from agencies.models import Membership
from reports.figures import monthly_figures
from signals_app.choices import Status
from signals_app.errors import ActionForbidden, InvalidInput, InvalidTransition
from signals_app.models import Notification, Reply, SignalEvent, SignalPart
from signals_app.selectors import signal_visible_to
from signals_app.sla.defaults import sla_defaults_install
from signals_app.workflow import services
from tests.factories import AgencyFactory, SignalFactory, UserFactory
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Yekaterinburg")
NOW = datetime(2026, 12, 7, 10, tzinfo=ZONE)


@pytest.fixture
def roads(region):
    return AgencyFactory(region=region, name="Управление дорог")


@pytest.fixture
def water(region):
    return AgencyFactory(region=region, name="Водоканал")


def _member(username, agency, role=Membership.Role.EXECUTOR):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username)
    Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def signal(region, agency, analyst, executor):
    sla_defaults_install(region=region)
    with time_machine.travel(NOW, tick=False):
        made = SignalFactory(region=region, channel="email", author_name="Сидоров Иван",
                             text="Яма на дороге и течёт люк у дома 3.")  # fmt: skip
        drive(made, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
        services.signal_assign(signal=made, assignee=executor, actor=analyst)
    made.refresh_from_db()
    return made


def test_parts_are_given_seen_by_their_own_agency_only_and_answered(
    client, signal, analyst, executor, roads, water
):
    road_man, water_man = _member("road", roads), _member("water", water)
    coordinator = _member("road_head", roads, Membership.Role.COORDINATOR)
    with time_machine.travel(NOW, tick=False):
        services.part_add(signal=signal, agency=roads, task="Засыпать яму", actor=analyst)
        services.part_add(signal=signal, agency=water, task="Закрыть люк", actor=analyst,
                          assignee=water_man)  # fmt: skip
    assert Notification.objects.get(kind="part_given", user=coordinator).signal_id == signal.pk
    assert Notification.objects.filter(kind="part_given", user=water_man).exists()
    assert signal in signal_visible_to(user=road_man)  # the co-executor sees the signal

    client.force_login(road_man)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Засыпать яму" in page and "Закрыть люк" not in page  # its own part only
    assert "Сидоров" not in page  # the citizen's name stays with the lead and the centre
    assert "/do/part_done/" in page and "/do/reply/" not in page
    api = client.get(reverse("api:signal_detail", args=[signal.number])).json()
    assert [part["task"] for part in api["parts"]] == ["Засыпать яму"]
    signal.refresh_from_db()
    done = client.post(reverse("signals_app:signal_action", args=[signal.number, "part_done"]),
                       {"version": signal.version, "text": "Яма засыпана 08.12."})  # fmt: skip
    assert done.status_code == 302
    part = SignalPart.objects.get(agency=roads)
    assert (part.state, part.answer, part.ended_by) == ("done", "Яма засыпана 08.12.", road_man)
    assert Notification.objects.filter(kind="part_answered", user=executor).exists()

    # The water agency sees its own part, not the road's answer.
    client.force_login(water_man)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Закрыть люк" in page and "Яма засыпана" not in page and "Засыпать яму" not in page


def test_the_final_answer_waits_for_every_part_and_is_compiled_from_them(
    client, signal, analyst, executor, roads, water
):
    road_man = _member("road", roads)
    with time_machine.travel(NOW, tick=False):
        services.part_add(signal=signal, agency=roads, task="Засыпать яму", actor=analyst)
        services.part_add(signal=signal, agency=water, task="Закрыть люк", actor=analyst)
    with pytest.raises(InvalidInput) as waiting:
        services.reply_submit(signal=signal, text="Всё сделано.", actor=executor)
    assert "Управление дорог" in str(waiting.value) and "Водоканал" in str(waiting.value)
    services.reply_submit(signal=signal, text="Промежуточно: работаем.", actor=executor,
                          kind=Reply.Kind.INTERIM)  # an interim answer never waits  # fmt: skip
    services.reply_approve(reply=Reply.objects.get(kind="interim"), actor=analyst)

    services.part_done(signal=signal, text="Яма засыпана 08.12.", actor=road_man)
    water_part = SignalPart.objects.get(agency=water)
    with pytest.raises(ActionForbidden):  # the lead's executor does not close parts
        services.part_close(signal=signal, part=water_part, reason="Не нужно", actor=executor)
    services.part_close(signal=signal, part=water_part, reason="Люк оказался исправен",
                        actor=analyst)  # fmt: skip

    client.force_login(executor)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number]) + "?compose=parts")
    assert "Управление дорог: Яма засыпана 08.12." in page.content.decode()
    signal.refresh_from_db()
    services.reply_submit(signal=signal, text="Управление дорог: Яма засыпана 08.12.",
                          actor=executor)  # fmt: skip
    services.reply_approve(reply=Reply.objects.get(state="submitted"), actor=analyst)
    signal.refresh_from_db()
    assert signal.status == Status.ANSWERED
    kinds = set(SignalEvent.objects.filter(signal=signal).values_list("kind", flat=True))
    assert {"part_added", "part_done", "part_closed"} <= kinds


def test_parts_are_given_while_the_signal_is_in_work_not_under_review(
    signal, analyst, executor, roads
):
    services.reply_submit(signal=signal, text="Сделано.", actor=executor)
    signal.refresh_from_db()
    assert signal.status == Status.REPLY_REVIEW
    with pytest.raises(InvalidTransition):  # return the answer for rework first
        services.part_add(signal=signal, agency=roads, task="Проверить", actor=analyst)


def test_refusals_of_parts(signal, analyst, executor, agency, roads, other_region):
    from tests.factories import AgencyFactory as Agencies

    with pytest.raises(InvalidInput):  # the lead does not get a part of its own
        services.part_add(signal=signal, agency=agency, task="x", actor=analyst)
    with pytest.raises(ActionForbidden):  # agency staff do not split signals
        services.part_add(signal=signal, agency=roads, task="x", actor=executor)
    foreign = Agencies(region=other_region, name="Чужое ведомство")
    with pytest.raises(InvalidInput):
        services.part_add(signal=signal, agency=foreign, task="x", actor=analyst)
    services.part_add(signal=signal, agency=roads, task="Засыпать яму", actor=analyst)
    with pytest.raises(InvalidInput):  # one open part per agency
        services.part_add(signal=signal, agency=roads, task="Ещё", actor=analyst)
    outsider = _member("outsider_road", AgencyFactory(region=signal.region, name="Парки"))
    with pytest.raises(ActionForbidden):
        services.part_done(signal=signal, text="Не наше", actor=outsider)


def test_a_late_part_is_escalated_once_to_its_agency(signal, analyst, roads):
    coordinator = _member("road_head", roads, Membership.Role.COORDINATOR)
    with time_machine.travel(NOW, tick=False):
        services.part_add(signal=signal, agency=roads, task="Засыпать яму", actor=analyst,
                          due=datetime(2026, 12, 9, 18, tzinfo=ZONE))  # fmt: skip
    with time_machine.travel(datetime(2026, 12, 9, 17, tzinfo=ZONE)):
        assert services.parts_overdue_tell() == 0
    with time_machine.travel(datetime(2026, 12, 9, 18, 5, tzinfo=ZONE)):
        assert services.parts_overdue_tell() == 1
        assert services.parts_overdue_tell() == 0
        assert SignalPart.objects.get().is_overdue
    assert Notification.objects.filter(kind="part_overdue", user=coordinator).count() == 1
    assert SignalEvent.objects.filter(kind=SignalEvent.Kind.PART_OVERDUE).count() == 1


def test_the_parts_count_in_their_agencies_figures(region, agency, analyst, executor, roads):
    sla_defaults_install(region=region)
    road_man = _member("road", roads)
    made = []
    for day in (3, 10, 20):
        with time_machine.travel(datetime(2026, 11, day, 10, tzinfo=ZONE), tick=False):
            signal = drive(SignalFactory(region=region), Status.IN_PROGRESS, analyst=analyst,
                           executor=executor, agency=agency)  # fmt: skip
            services.part_add(signal=signal, agency=roads, task="Работы", actor=analyst,
                              due=datetime(2026, 11, day + 3, 18, tzinfo=ZONE))  # fmt: skip
            made.append(signal)
    with time_machine.travel(datetime(2026, 11, 4, 10, tzinfo=ZONE), tick=False):
        services.part_done(signal=made[0], text="Сделано", actor=road_man)  # in time
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=ZONE), tick=False):
        services.part_done(signal=made[1], text="Сделано поздно", actor=road_man)  # late
    with time_machine.travel(datetime(2026, 12, 1, 6, tzinfo=ZONE)):
        figures = monthly_figures(region=region, year=2026, month=11)
    [row] = figures["parts_by_agency"]
    assert (row["name"], row["given"], row["answered"], row["in_time"], row["late"]) == (
        "Управление дорог",
        3,
        2,
        1,
        2,
    )  # the third is still open past its deadline: late too


def test_the_co_executors_queue_holds_its_parts(client, signal, analyst, roads):
    road_man = _member("road", roads)
    client.force_login(road_man)
    before = client.get(reverse("api:signal_list"), {"view": "agency"}).json()["results"]
    assert before == []
    services.part_add(signal=signal, agency=roads, task="Засыпать яму", actor=analyst)
    listed = client.get(reverse("api:signal_list"), {"view": "agency"}).json()["results"]
    assert [row["number"] for row in listed] == [signal.number]
    mine = client.get(reverse("api:signal_list"), {"view": "mine"}).json()["results"]
    assert [row["number"] for row in mine] == [signal.number]  # unassigned: theirs to take


def test_my_work_lists_the_parts_for_my_agency(client, signal, analyst, roads):
    road_man = _member("road", roads)
    other = _member("road_two", roads)
    services.part_add(signal=signal, agency=roads, task="Засыпать яму у дома 3", actor=analyst)
    client.force_login(road_man)
    page = client.get(reverse("signals_app:my_work")).content.decode()
    assert "Поручения моему ведомству как соисполнителю" in page and "Засыпать яму у дома 3" in page
    services.part_done(signal=signal, text="Готово", actor=road_man)
    client.force_login(other)
    assert (
        "Засыпать яму у дома 3" not in client.get(reverse("signals_app:my_work")).content.decode()
    )


def test_a_part_of_a_late_signal_gets_days_of_its_own(signal, analyst, roads):
    signal.answer_due_at = datetime(2026, 12, 8, 10, tzinfo=ZONE)
    signal.save(update_fields=["answer_due_at"])
    with time_machine.travel(datetime(2026, 12, 10, 10, tzinfo=ZONE), tick=False):
        part = services.part_add(signal=signal, agency=roads, task="Засыпать яму", actor=analyst)
        assert part.due_at == datetime(2026, 12, 15, 10, tzinfo=ZONE)
        with pytest.raises(InvalidInput):  # a date given in the past is refused
            services.part_add(signal=signal, agency=AgencyFactory(region=signal.region),
                              task="x", actor=analyst, due=datetime(2026, 12, 9, tzinfo=ZONE))  # fmt: skip
