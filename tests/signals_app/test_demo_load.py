"""The demo loader on a small N."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from agencies.models import Agency, Municipality, OfficialPage, User
from signals_app.choices import Channel, Status
from signals_app.models import (
    Category,
    Reply,
    Signal,
    SignalEvent,
    Source,
)
from signals_app.workflow.transitions import transition_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db):
    call_command("demo_load", signals=600, seed=1)


def test_reference_data_is_realistic(loaded):
    names = set(Municipality.objects.values_list("name", flat=True))
    for city in ("Челябинск", "Магнитогорск", "Златоуст", "Миасс", "Копейск", "Озёрск", "Троицк",
                 "Снежинск", "Саткинский муниципальный округ", "Чебаркуль"):  # fmt: skip
        assert city in names
    assert 140 <= Agency.objects.count() <= 170
    assert OfficialPage.objects.count() >= 50
    assert Category.objects.filter(level=1).count() == 12
    assert 55 <= Category.objects.filter(level=2).count() <= 70
    assert set(Source.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert User.objects.filter(is_demo=True).count() == 9


def test_the_demo_history_is_in_the_analytics_counts(loaded):
    from signals_app.analytics.models import DayCount, HourCount

    for model in (HourCount, DayCount):
        assert model.objects.aggregate(total=Sum("count"))["total"] == Signal.objects.count()


def test_the_demo_vote_is_open_around_today(loaded):
    from django.utils import timezone

    from signals_app.votes.models import Campaign, Phase
    from signals_app.votes.services import is_open

    campaign = Campaign.objects.get()
    assert campaign.phase == Phase.VOTING
    assert campaign.starts_on < timezone.localdate() < campaign.ends_on
    places = [item.municipality for item in campaign.participations.all()]
    assert {place.name for place in places} == {"Магнитогорск", "Златоуст", "Копейск"}
    assert all(is_open(campaign, place) and place.population for place in places)
    assert campaign.objects_voted.count() == 10
    assert User.objects.get(username="volunteer").groups.filter(name="volunteer").exists()


def test_signals_follow_legal_paths_with_events(loaded):
    assert Signal.objects.count() == 600
    for signal_id, status in Signal.objects.values_list("id", "status"):
        moves = list(
            SignalEvent.objects.filter(signal_id=signal_id, kind="status_changed")
            .order_by("created_at", "id")
            .values_list("from_status", "to_status")
        )
        current = Status.NEW
        for source, target in moves:
            assert source == current
            assert transition_for(source, target) is not None
            current = target
        assert current == status
    assert SignalEvent.objects.filter(kind="created").count() == 600


def test_channel_mix_and_numbers(loaded):
    mix = dict(Signal.objects.values_list("channel").annotate(n=Count("id")))
    social = mix.get("vk", 0) + mix.get("ok", 0) + mix.get("telegram", 0)
    assert social > 600 * 0.5
    assert 600 * 0.15 < mix.get("pos", 0) < 600 * 0.35
    numbers = list(Signal.objects.order_by("received_at", "id").values_list("number", flat=True))
    assert len(set(numbers)) == 600
    assert all(n.startswith("74-") for n in numbers)


def test_answered_signals_have_a_published_reply(loaded):
    answered = Signal.objects.filter(status__in=[Status.ANSWERED, Status.CLOSED])
    assert answered.exists()
    assert not answered.exclude(replies__state=Reply.State.PUBLISHED).exists()
    assert not answered.filter(answered_at__isnull=True).exists()
    assert not Signal.objects.filter(status=Status.REJECTED, rejection_reason="").exists()


def test_search_vector_is_filled(loaded):
    assert (
        Signal.objects.filter(search_vector="вода").exists()
        or Signal.objects.filter(search_vector="мусор").exists()
    )


def test_if_empty_does_not_load_twice(loaded):
    call_command("demo_load", signals=50, if_empty=True)
    assert Signal.objects.count() == 600


def test_demo_is_refused_in_production_mode(db, settings):
    from django.core.management.base import CommandError

    settings.DEMO_USERS_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("demo_load", signals=5)
    assert not Signal.objects.exists()
    assert not User.objects.filter(is_demo=True).exists()
