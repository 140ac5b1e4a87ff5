"""Who sees which signals."""

from __future__ import annotations

import pytest

from agencies.models import Membership
from signals_app.selectors import signal_visible_to
from signals_app.workflow import services
from tests.conftest import _centre_user
from tests.factories import SignalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(region, other_region, agency, child_agency, other_agency, analyst):
    def routed(to, reg=region):
        signal = SignalFactory(region=reg)
        if to is not None:
            services.signal_route(signal=signal, agency=to, actor=None)
        return signal

    return {
        "unrouted": routed(None),
        "agency": routed(agency),
        "child": routed(child_agency),
        "other": routed(other_agency),
        "foreign": routed(None, other_region),
    }


def _numbers(user, world):
    visible = set(signal_visible_to(user=user).values_list("pk", flat=True))
    return {name for name, signal in world.items() if signal.pk in visible}


def test_analysts_and_supervisors_see_their_regions(world, analyst, supervisor):
    assert _numbers(analyst, world) == {"unrouted", "agency", "child", "other"}
    assert _numbers(supervisor, world) == {"unrouted", "agency", "child", "other"}


def test_a_foreign_analyst_sees_only_the_other_region(world, foreign_analyst):
    assert _numbers(foreign_analyst, world) == {"foreign"}


def test_agency_staff_see_their_agency_and_its_children(world, executor, coordinator):
    assert _numbers(executor, world) == {"agency", "child"}
    assert _numbers(coordinator, world) == {"agency", "child"}


def test_child_agency_staff_do_not_see_the_parent(world, child_agency):
    user = UserFactory(username="school")
    Membership.objects.create(user=user, agency=child_agency, role=Membership.Role.EXECUTOR)
    assert _numbers(user, world) == {"child"}


def test_nobody_sees_nothing(world, nobody, region):
    assert _numbers(nobody, world) == set()
    # a group without regions is not enough either
    lonely = _centre_user("lonely", "analyst", region)
    lonely.regions.clear()
    assert _numbers(lonely, world) == set()


def test_inactive_users_see_nothing(world, analyst):
    analyst.is_active = False
    analyst.save()
    assert _numbers(analyst, world) == set()


def test_superusers_see_everything(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert _numbers(root, world) == set(world)
