"""Invariants of the agencies app that the database enforces."""

from __future__ import annotations

import pytest

from agencies.models import Agency, Membership, Municipality, OfficialPage, Region
from signals_app.models import Source
from tests.db import assert_refused
from tests.factories import AgencyFactory, MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_region_code_is_two_or_three_digits_and_unique(region):
    assert_refused(lambda: Region.objects.create(code="7a", name="X"))
    assert_refused(lambda: Region.objects.create(code="74", name="Дубль"))
    assert Region.objects.count() == 1


def test_municipality_names_are_unique_within_a_parent(region, municipality):
    assert_refused(lambda: MunicipalityFactory(region=region, name=municipality.name))
    MunicipalityFactory(region=region, parent=municipality, name=municipality.name)
    assert_refused(
        lambda: Municipality.objects.filter(pk=municipality.pk).update(parent=municipality.pk)
    )


def test_agency_names_are_unique_in_a_region_and_not_their_own_parent(region, agency, other_region):
    assert_refused(lambda: AgencyFactory(region=region, name=agency.name))
    AgencyFactory(region=other_region, name=agency.name)
    assert_refused(lambda: Agency.objects.filter(pk=agency.pk).update(parent=agency.pk))


def test_a_user_has_one_membership_per_agency(agency):
    user = UserFactory(username="staff")
    Membership.objects.create(user=user, agency=agency, role="executor")
    assert_refused(lambda: Membership.objects.create(user=user, agency=agency, role="coordinator"))
    assert Membership.objects.filter(user=user).count() == 1


def test_official_pages_are_unique_per_network(agency, other_agency):
    OfficialPage.objects.create(
        agency=agency, network="vk", external_id="123", url="https://vk.com/club123"
    )
    assert_refused(
        lambda: OfficialPage.objects.create(
            agency=other_agency, network="vk", external_id="123", url="https://vk.com/club123"
        )
    )
    OfficialPage.objects.create(
        agency=other_agency, network="ok", external_id="123", url="https://ok.ru/group/123"
    )


def test_a_source_agency_belongs_to_the_source_region(region, other_region):
    foreign = AgencyFactory(region=other_region)
    assert_refused(
        lambda: Source.objects.create(
            region=region, slug="s", name="S", channel="vk", agency=foreign
        )
    )
    assert not Source.objects.exists()
