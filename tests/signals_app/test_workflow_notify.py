"""People hear of what the workflow asks of them: an assignment, a reply to review, a reply
returned — never of their own action."""

from __future__ import annotations

import pytest

from signals_app.choices import Status
from signals_app.models import Notification
from signals_app.workflow import services
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db


def kinds(user):
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_an_assignment_tells_the_assignee_not_the_one_taking_it(
    region, agency, analyst, coordinator, executor
):
    signal = SignalFactory(region=region)
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    services.signal_assign(signal=signal, assignee=executor, actor=coordinator)
    assert kinds(executor) == ["assigned"]
    note = Notification.objects.get(user=executor)
    assert signal.number in note.title and note.signal_id == signal.pk
    services.signal_assign(signal=signal, assignee=None, actor=coordinator)
    other = SignalFactory(region=region)
    services.signal_route(signal=other, agency=agency, actor=analyst, assignee=executor)
    assert kinds(executor) == ["assigned", "assigned"]
    third = SignalFactory(region=region)
    services.signal_route(signal=third, agency=agency, actor=analyst)
    services.signal_take(signal=third, actor=executor)
    assert len(kinds(executor)) == 2  # taking it yourself tells nobody


def test_a_submitted_reply_tells_the_reviewers_and_a_returned_one_its_author(
    region, agency, analyst, executor, municipality
):
    signal = SignalFactory(region=region, municipality=municipality)
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    Notification.objects.all().delete()
    reply = services.reply_submit(signal=signal, text="Трубу заменили.", actor=executor)
    assert kinds(analyst) == ["review"]  # nobody curates the municipality: the region's analysts
    assert kinds(executor) == []
    services.reply_return(reply=reply, comment="Укажите сроки работ.", actor=analyst)
    returned = Notification.objects.get(user=executor)
    assert (returned.kind, returned.body) == ("returned", "Укажите сроки работ.")


def test_the_curators_review_where_someone_curates_the_municipality(
    region, agency, analyst, executor, municipality
):
    from tests.factories import UserFactory

    curator = UserFactory(username="curator")
    curator.curated_municipalities.add(municipality)
    signal = SignalFactory(region=region, municipality=municipality)
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    Notification.objects.all().delete()
    services.reply_submit(signal=signal, text="Сделано.", actor=executor)
    assert kinds(curator) == ["review"] and kinds(analyst) == []


def test_my_work_lists_one_line_per_signal_and_state_with_dates_and_no_closed_ones(
    client, region, agency, analyst, executor
):
    import time_machine
    from django.urls import reverse

    from signals_app.models import Reply

    open_signal = SignalFactory(region=region)
    closed = SignalFactory(region=region)
    for signal in (open_signal, closed):
        drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    with time_machine.travel("2026-11-20T10:00:00+05:00", tick=False):
        for attempt in range(3):  # returned three times: three replies, one line
            reply = services.reply_submit(
                signal=open_signal, text=f"Вариант {attempt}", actor=executor
            )
            services.reply_return(reply=reply, comment=f"Доработать {attempt}", actor=analyst)
        reply = services.reply_submit(signal=closed, text="Ответ", actor=executor)
        services.reply_return(reply=reply, comment="Нет", actor=analyst)
    from signals_app.models import Signal

    Signal.objects.filter(pk=closed.pk).update(status="closed")  # closed since by the centre
    assert Reply.objects.filter(signal=closed, state="returned").exists()
    client.force_login(executor)
    page = client.get(reverse("signals_app:my_work")).content.decode()
    section = page.split("<h2>", 2)[-1]
    assert section.count(f">{open_signal.number}</a>") == 1
    assert closed.number not in section
    assert "20.11.2026 10:00" in section and "Доработать 2" in section
