"""The vote's pages read a constant number of queries, whatever the number of objects,
photos, municipalities or votes (measured at two sizes, the larger one asserted equal)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from signals_app.votes.models import ObjectPhoto, Phase, Vote, Voter
from tests.factories import MunicipalityFactory
from tests.signals_app.test_votes import ballot, make_campaign

pytestmark = pytest.mark.django_db
VOTING = datetime(2027, 4, 10, 7, 0, tzinfo=UTC)


def _grow(campaign, place, size: int) -> None:  # type: ignore[no-untyped-def]
    start = campaign.objects_voted.filter(municipality=place).count()
    items = ballot(campaign, place, *[f"Объект {start + n}" for n in range(size)])
    for item in items:
        ObjectPhoto.objects.create(vote_object=item, file=f"votes/{item.pk}.png", content_type="image/png",
                                   size=10, sha256="a" * 64)  # fmt: skip
    voters = Voter.objects.bulk_create([
        Voter(campaign=campaign, identity=f"{Voter.objects.count() + n:064x}", method="oidc", municipality=place)
        for n in range(size)
    ])  # fmt: skip
    Vote.objects.bulk_create([Vote(campaign=campaign, voter=voter, vote_object=item, municipality=place,
                                   cast_at=VOTING) for voter, item in zip(voters, items, strict=True)])  # fmt: skip


def _queries(client, address: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


@time_machine.travel(VOTING, tick=False)
def test_the_pages_read_a_constant_number_of_queries(client, region, municipality, analyst):
    campaign = make_campaign(region, municipality, phase=Phase.PUBLISHED)
    second = MunicipalityFactory(region=region)
    campaign.participations.create(municipality=second)
    _grow(campaign, municipality, 2)
    public = [reverse("vote_ballot", args=[campaign.pk, municipality.pk]),
              reverse("vote_region", args=[region.code])]  # fmt: skip
    client.force_login(analyst)
    staff = [reverse("votes_campaigns"), reverse("votes_campaign", args=[campaign.pk]),
             reverse("votes_objects", args=[campaign.pk, municipality.pk]),
             reverse("votes_integrity", args=[campaign.pk])]  # fmt: skip
    small = {address: _queries(client, address) for address in public + staff}
    _grow(campaign, municipality, 12)
    _grow(campaign, second, 12)
    large = {address: _queries(client, address) for address in public + staff}
    assert large == small, (small, large)
    assert max(large.values()) <= 25, large


def test_an_agencys_view_of_a_campaign_reads_its_places_in_one_query(client, region, municipality):
    from agencies.models import Membership
    from tests.factories import AgencyFactory, UserFactory

    campaign = make_campaign(region, municipality)
    clerk = UserFactory(username="clerk")
    Membership.objects.create(user=clerk, agency=AgencyFactory(region=region, municipality=municipality),
                              role="executor")  # fmt: skip
    client.force_login(clerk)
    address = reverse("votes_campaign", args=[campaign.pk])
    few = _queries(client, address)
    for _ in range(8):
        campaign.participations.create(municipality=MunicipalityFactory(region=region))
    assert _queries(client, address) == few
    assert municipality.name in client.get(address).content.decode()
