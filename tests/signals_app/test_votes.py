"""«Высказать мнение»: the campaign's calendar and phases, one vote per verified identity (the
constraint tested with two connections), changed votes, assisted votes, annulment, winners."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import IntegrityError, connections, transaction

from agencies.models import Role
from signals_app.errors import ActionForbidden, InvalidInput, InvalidTransition
from signals_app.votes import identity, services
from signals_app.votes.models import (
    Campaign,
    CampaignEvent,
    Participation,
    Phase,
    Vote,
    VoteObject,
    Voter,
)
from tests.factories import MunicipalityFactory, UserFactory
from tests.signals_app.test_concurrency import _race

# 15 March – 30 April 2027; Челябинск is UTC+5, Калининград (a second municipality) UTC+2.
VOTING = datetime(2027, 4, 10, 7, 0, tzinfo=UTC)


def make_campaign(region, *places, **extra):  # type: ignore[no-untyped-def]
    campaign = Campaign.objects.create(
        region=region, year=2027, title="Голосование 2027", starts_on=date(2027, 3, 15),
        ends_on=date(2027, 4, 30), **extra,
    )  # fmt: skip
    for place in places:
        Participation.objects.create(campaign=campaign, municipality=place)
    return campaign


def ballot(campaign, municipality, *names, **extra):  # type: ignore[no-untyped-def]
    return [
        VoteObject.objects.create(
            campaign=campaign,
            municipality=municipality,
            kind=VoteObject.Kind.TERRITORY,
            name=name,
            build_year=2028,
            **extra,
        )
        for name in names
    ]


def resident(number: int, **extra) -> identity.Verified:  # type: ignore[no-untyped-def]
    return identity.Verified(identity.oidc_identity("https://esia.example", str(number)), "oidc",
                             **extra)  # fmt: skip


@pytest.fixture
def voting(region, municipality):  # type: ignore[no-untyped-def]
    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    park, yard = ballot(campaign, municipality, "Парк Победы", "Двор на Ленина, 5")
    return campaign, park, yard


@pytest.mark.django_db
def test_the_window_is_each_municipalitys_own_days(region, municipality):
    west = MunicipalityFactory(region=region, time_zone="Europe/Kaliningrad")
    campaign = make_campaign(region, municipality, west)
    opens, closes = services.window(campaign, municipality)
    assert opens == datetime(2027, 3, 14, 19, 0, tzinfo=UTC)  # midnight in UTC+5
    assert closes == datetime(2027, 4, 30, 19, 0, tzinfo=UTC)
    assert services.window(campaign, west)[1] == datetime(2027, 4, 30, 22, 0, tzinfo=UTC)
    assert services.campaign_span(campaign) == (opens, datetime(2027, 4, 30, 22, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_the_calendar_opens_and_closes_the_vote_and_every_move_is_logged(
    region, municipality, analyst
):
    campaign = make_campaign(region, municipality)
    with time_machine.travel(datetime(2027, 3, 14, 18, 59, tzinfo=UTC), tick=False):
        assert services.phases_sweep() == 0
    with time_machine.travel(datetime(2027, 3, 14, 19, 0, tzinfo=UTC), tick=False):
        assert services.phases_sweep() == 1
    campaign.refresh_from_db()
    assert campaign.phase == Phase.VOTING
    with time_machine.travel(datetime(2027, 4, 30, 19, 0, tzinfo=UTC), tick=False):
        assert services.phases_sweep() == 1
        assert services.phases_sweep() == 0  # counting waits for the organisers
    campaign.refresh_from_db()
    assert campaign.phase == Phase.COUNTING
    moves = list(campaign.events.values_list("kind", "actor", "details"))
    assert moves == [
        ("phase", None, {"before": "preparation", "after": "voting"}),
        ("phase", None, {"before": "voting", "after": "counting"}),
    ]
    with pytest.raises(InvalidTransition):
        services.phase_move(campaign=campaign, to=Phase.IMPLEMENTATION, actor=analyst)
    with time_machine.travel(datetime(2027, 5, 5, 9, 0, tzinfo=UTC), tick=False):
        services.phase_move(campaign=campaign, to=Phase.PUBLISHED, actor=analyst)
    assert campaign.events.filter(kind=CampaignEvent.Kind.WINNERS).count() == 1
    assert campaign.events.last().actor == analyst


@pytest.mark.django_db
def test_an_early_move_needs_a_reason_and_an_organiser(region, municipality, analyst, supervisor):
    campaign = make_campaign(region, municipality)
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        with pytest.raises(ActionForbidden):
            services.phase_move(campaign=campaign, to=Phase.VOTING, actor=supervisor)
        with pytest.raises(InvalidInput):
            services.phase_move(campaign=campaign, to=Phase.VOTING, actor=analyst)
        moved = services.phase_move(campaign=campaign, to=Phase.VOTING, actor=analyst,
                                    reason="Решение комиссии от 28.02")  # fmt: skip
    assert moved.phase == Phase.VOTING
    assert campaign.events.get().reason == "Решение комиссии от 28.02"
    empty = Campaign.objects.create(region=region, year=2028, title="2028",
                                    starts_on=date(2028, 3, 15), ends_on=date(2028, 4, 30))  # fmt: skip
    with pytest.raises(InvalidInput):
        services.phase_move(campaign=empty, to=Phase.VOTING, actor=analyst, reason="рано")


@pytest.mark.django_db
@time_machine.travel(VOTING, tick=False)
def test_one_vote_per_identity_and_the_refusals(voting, municipality, region):
    campaign, park, yard = voting
    cast = services.vote_cast(campaign=campaign, verified=resident(1), municipality=municipality,
                              objects=[park.pk], declared_adult=True)  # fmt: skip
    assert cast.recorded and not cast.changed
    again = services.vote_cast(campaign=campaign, verified=resident(1), municipality=municipality,
                               objects=[yard.pk], declared_adult=True)  # fmt: skip
    assert (again.recorded, again.message) == (False, "Вы уже проголосовали.")
    voter = Voter.objects.get()
    assert (voter.method, voter.age_declared, voter.municipality_declared) == ("oidc", True, True)
    assert voter.identity == identity.oidc_identity("https://esia.example", "1")  # no names

    def refused(**extra):  # type: ignore[no-untyped-def]
        arguments = {"campaign": campaign, "verified": resident(2), "municipality": municipality,
                     "objects": [park.pk], "declared_adult": True, **extra}  # fmt: skip
        outcome = services.vote_cast(**arguments)
        assert not outcome.recorded
        return outcome.message

    assert refused(objects=[park.pk, yard.pk]) == "Можно выбрать не больше 1."
    assert refused(objects=[]) == "Выберите объект."
    assert "14" in refused(declared_adult=False)
    assert "14" in refused(verified=resident(3, birthdate="2014-01-01"))
    assert refused(verified=resident(4, oktmo="75600000")).startswith("Госуслуги")
    other = MunicipalityFactory(region=region)
    foreign = ballot(campaign, other, "Сквер")[0]
    assert refused(objects=[foreign.pk]).startswith("Выбрать можно")
    assert refused(municipality=other).startswith("Этот муниципалитет")
    assert Vote.objects.count() == 1
    # The provider's claims stand in for the declarations.
    adult = resident(5, birthdate="2000-06-01", oktmo=municipality.oktmo)
    assert services.vote_cast(campaign=campaign, verified=adult, municipality=municipality,
                              objects=[yard.pk]).recorded  # fmt: skip
    assert Voter.objects.filter(age_declared=False, municipality_declared=False).count() == 1


@pytest.mark.django_db
def test_only_while_the_municipalitys_window_is_open(voting, municipality):
    campaign, park, _yard = voting
    for moment in (
        datetime(2027, 3, 14, 18, 59, tzinfo=UTC),
        datetime(2027, 4, 30, 19, 0, tzinfo=UTC),
    ):
        with time_machine.travel(moment, tick=False):
            cast = services.vote_cast(campaign=campaign, verified=resident(9),
                                      municipality=municipality, objects=[park.pk],
                                      declared_adult=True)  # fmt: skip
            assert not cast.recorded and "не открыто" in cast.message


@pytest.mark.django_db
@time_machine.travel(VOTING, tick=False)
def test_a_changed_vote_replaces_the_first_and_is_never_counted_twice(region, municipality):
    campaign = make_campaign(region, municipality, phase=Phase.VOTING, may_change=True, choices=2)
    park, yard, square = ballot(campaign, municipality, "Парк", "Двор", "Сквер")
    verified = resident(7, birthdate="1990-01-01")
    assert services.vote_cast(campaign=campaign, verified=verified, municipality=municipality,
                              objects=[park.pk, yard.pk]).recorded  # fmt: skip
    changed = services.vote_cast(campaign=campaign, verified=verified, municipality=municipality,
                                 objects=[square.pk, park.pk])  # fmt: skip
    assert changed.recorded and changed.changed
    counted = Vote.objects.filter(state=Vote.State.COUNTED)
    assert sorted(counted.values_list("vote_object__name", "slot")) == [("Парк", 2), ("Сквер", 1)]
    assert Vote.objects.filter(state=Vote.State.REPLACED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_casts_of_one_identity_at_once_end_with_one_vote(region, municipality):
    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    park, yard = ballot(campaign, municipality, "Парк", "Двор")
    verified = resident(11, birthdate="1990-01-01")

    def cast(target):  # type: ignore[no-untyped-def]
        with time_machine.travel(VOTING, tick=False):
            return services.vote_cast(campaign=campaign, verified=verified,
                                      municipality=municipality, objects=[target.pk])  # fmt: skip

    outcomes = _race(lambda: cast(park), lambda: cast(yard))
    assert sorted(outcome.recorded for outcome in outcomes) == [False, True], outcomes
    assert Vote.objects.filter(state=Vote.State.COUNTED).count() == 1
    assert Voter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_a_second_counted_vote_from_another_connection(
    region, municipality
):
    campaign = make_campaign(region, municipality, phase=Phase.VOTING)
    park, yard = ballot(campaign, municipality, "Парк", "Двор")
    voter = Voter.objects.create(campaign=campaign, identity="a" * 64, method="oidc",
                                 municipality=municipality)  # fmt: skip
    row = "INSERT INTO signals_app_vote (campaign_id, voter_id, vote_object_id, municipality_id, " \
          "slot, state, origin, cast_at, address, device, annul_reason) VALUES " \
          "(%s, %s, %s, %s, 1, 'counted', 'web', now(), '', '', '')"  # fmt: skip
    first, second = connections["default"], connections.create_connection("default")
    try:
        with first.cursor() as cursor:
            cursor.execute(row, [campaign.pk, voter.pk, park.pk, municipality.pk])
        with pytest.raises(IntegrityError), second.cursor() as cursor:
            cursor.execute(row, [campaign.pk, voter.pk, yard.pk, municipality.pk])
    finally:
        second.close()
    assert Vote.objects.count() == 1


@pytest.mark.django_db
@time_machine.travel(VOTING, tick=False)
def test_assisted_votes_name_their_helper_and_only_volunteers_help(voting, municipality, region):
    campaign, park, _yard = voting
    volunteer = UserFactory(username="volunteer")
    volunteer.groups.add(Group.objects.get_or_create(name=Role.VOLUNTEER)[0])
    volunteer.regions.add(region)
    stranger = UserFactory(username="stranger")
    cast = services.vote_cast(campaign=campaign, verified=resident(20), municipality=municipality,
                              objects=[park.pk], declared_adult=True, origin=Vote.Origin.POINT,
                              helper=volunteer)  # fmt: skip
    assert cast.recorded
    assert Vote.objects.get().helper == volunteer
    with pytest.raises(ActionForbidden):
        services.vote_cast(campaign=campaign, verified=resident(21), municipality=municipality,
                           objects=[park.pk], declared_adult=True,
                           origin=Vote.Origin.VOLUNTEER, helper=stranger)  # fmt: skip
    with pytest.raises(InvalidInput):
        services.vote_cast(campaign=campaign, verified=resident(22), municipality=municipality,
                           objects=[park.pk], declared_adult=True, origin=Vote.Origin.VOLUNTEER)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(campaign=campaign, voter=Voter.objects.get(), vote_object=park,
                            municipality=municipality, slot=2, origin=Vote.Origin.WEB,
                            helper=volunteer, cast_at=VOTING)  # fmt: skip


@pytest.mark.django_db
@time_machine.travel(VOTING, tick=False)
def test_annulled_votes_stay_apart_with_their_reason(voting, municipality, analyst, supervisor):
    campaign, park, _yard = voting
    for number in range(3):
        services.vote_cast(campaign=campaign, verified=resident(30 + number),
                           municipality=municipality, objects=[park.pk], declared_adult=True)  # fmt: skip
    ids = list(Vote.objects.values_list("pk", flat=True))[:2]
    with pytest.raises(ActionForbidden):
        services.votes_annul(campaign=campaign, votes=ids, reason="Вброс", actor=supervisor)
    with pytest.raises(InvalidInput):
        services.votes_annul(campaign=campaign, votes=ids, reason=" ", actor=analyst)
    assert services.votes_annul(campaign=campaign, votes=ids, reason="Вброс с одного адреса",
                                actor=analyst) == 2  # fmt: skip
    assert services.votes_annul(campaign=campaign, votes=ids, reason="ещё раз", actor=analyst) == 0
    assert Vote.objects.count() == 3
    assert Vote.objects.filter(state=Vote.State.ANNULLED, annulled_by=analyst).count() == 2
    event = campaign.events.get(kind=CampaignEvent.Kind.ANNULLED)
    assert (event.details["count"], event.reason) == (2, "Вброс с одного адреса")


@pytest.mark.django_db
def test_winners_by_the_top_or_by_the_budget(region, municipality, analyst):
    campaign = make_campaign(region, municipality, phase=Phase.COUNTING, winners_count=1)
    park, yard, square = ballot(campaign, municipality, "Парк", "Двор", "Сквер")
    Participation.objects.filter(campaign=campaign).update(budget=Decimal("10000000"))
    voter_rows = [Voter(campaign=campaign, identity=f"{n:064x}", method="oidc",
                        municipality=municipality) for n in range(6)]  # fmt: skip
    voters = Voter.objects.bulk_create(voter_rows)
    for voter, target in zip(voters, [park, park, park, yard, yard, square], strict=True):
        Vote.objects.create(campaign=campaign, voter=voter, vote_object=target,
                            municipality=municipality, cast_at=VOTING)  # fmt: skip
    with time_machine.travel(datetime(2027, 5, 5, 9, 0, tzinfo=UTC), tick=False):
        services.phase_move(campaign=campaign, to=Phase.PUBLISHED, actor=analyst)
    assert list(VoteObject.objects.filter(is_winner=True)) == [park]
    # By budget: the park (8 mln) fits, the yard (5 mln) no longer does, the square (1 mln) does.
    VoteObject.objects.filter(pk=park.pk).update(cost=Decimal("8000000"))
    VoteObject.objects.filter(pk=yard.pk).update(cost=Decimal("5000000"))
    VoteObject.objects.filter(pk=square.pk).update(cost=Decimal("1000000"))
    Campaign.objects.filter(pk=campaign.pk).update(winners=Campaign.Winners.BUDGET,
                                                   phase=Phase.COUNTING)  # fmt: skip
    with time_machine.travel(datetime(2027, 5, 6, 9, 0, tzinfo=UTC), tick=False):
        services.phase_move(campaign=campaign, to=Phase.PUBLISHED, actor=analyst)
    assert set(VoteObject.objects.filter(is_winner=True)) == {park, square}


def test_identities_are_keyed_hashes(settings):
    settings.VOTE_IDENTITY_KEY = "k1"
    first = identity.oidc_identity("https://esia.gosuslugi.ru", "1000123456")
    assert first == identity.oidc_identity("https://esia.gosuslugi.ru", "1000123456")
    assert first != identity.oidc_identity("https://other.example", "1000123456")
    assert identity.phone_identity("+7 (912) 345-67-89") == identity.phone_identity("89123456789")
    settings.VOTE_IDENTITY_KEY = "k2"
    assert identity.oidc_identity("https://esia.gosuslugi.ru", "1000123456") != first
    assert identity.phone_digits("12345") == "" and identity.age_on(date(2012, 4, 11),
                                                                  date(2026, 4, 10)) == 13  # fmt: skip
