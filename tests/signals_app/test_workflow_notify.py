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
