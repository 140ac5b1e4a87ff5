"""Shared fixtures: a small region with agencies and one user per role."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from agencies.models import Membership, Role
from tests.factories import (
    AgencyFactory,
    CategoryFactory,
    MunicipalityFactory,
    RegionFactory,
    SignalFactory,
    SourceFactory,
    UserFactory,
)
from tests.servers import redis  # noqa: F401 - a fixture: a Redis of the test's own

TEST_NOW = os.environ.get("TEST_NOW", "").strip()


@pytest.fixture(autouse=True)
def _travel_to_test_now():
    """With TEST_NOW (ISO 8601 with an offset, e.g. 2027-01-01T09:00+05:00), every test starts
    at that moment and the clock runs on from it: a test that passes only on some days of the
    year fails here. Tests that pin their own clock travel again from inside this one."""
    if not TEST_NOW:
        yield
        return
    moment = datetime.fromisoformat(TEST_NOW)
    if moment.tzinfo is None:
        raise pytest.UsageError("TEST_NOW needs its UTC offset, e.g. 2027-01-01T09:00+05:00")
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files written by a test (attachments, exports, reports) go to its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_stale_ingest_state():
    """A wake key left by an earlier test (whose task went to a broker with no worker) would
    keep this test's messages waiting for the sweep."""
    from django.core.cache import cache

    from signals_app.ingest.services import WAKE_KEY
    from signals_app.ingest.webhooks import source_cache_clear

    cache.delete(WAKE_KEY)
    source_cache_clear()
    from signals_app.limits import limit_key

    cache.delete(limit_key("vote-code", "127.0.0.1"))  # the test clients' address


@pytest.fixture
def eager():
    """Run Celery tasks in the calling process (queued ones included) for this test."""
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def region(db):
    return RegionFactory(code="74", name="Челябинская область", time_zone="Asia/Yekaterinburg")


@pytest.fixture
def other_region(db):
    return RegionFactory(code="66", name="Свердловская область", time_zone="Asia/Yekaterinburg")


@pytest.fixture
def municipality(region):
    return MunicipalityFactory(region=region)


@pytest.fixture
def agency(region, municipality):
    return AgencyFactory(region=region, municipality=municipality, name="Администрация города")


@pytest.fixture
def child_agency(agency):
    return AgencyFactory(region=agency.region, parent=agency, name="Школа № 1")


@pytest.fixture
def other_agency(region):
    return AgencyFactory(region=region, name="Другая администрация")


@pytest.fixture
def category(region):
    topic = CategoryFactory(region=region, code="zhkh", name="ЖКХ")
    return CategoryFactory(region=region, parent=topic, code="zhkh-water", name="Водоснабжение")


@pytest.fixture
def source(region):
    return SourceFactory(region=region)


def _centre_user(username, role, region):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.regions.add(region)
    return user


def _member(username, agency, role):
    user = UserFactory(username=username)
    Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def analyst(region):
    return _centre_user("analyst", Role.ANALYST, region)


@pytest.fixture
def supervisor(region):
    return _centre_user("supervisor", Role.SUPERVISOR, region)


@pytest.fixture
def foreign_analyst(other_region):
    return _centre_user("foreign_analyst", Role.ANALYST, other_region)


@pytest.fixture
def executor(agency):
    return _member("executor", agency, Membership.Role.EXECUTOR)


@pytest.fixture
def coordinator(agency):
    return _member("coordinator", agency, Membership.Role.COORDINATOR)


@pytest.fixture
def outsider_executor(other_agency):
    return _member("outsider", other_agency, Membership.Role.EXECUTOR)


@pytest.fixture
def nobody(db):
    return UserFactory(username="nobody")


@pytest.fixture
def new_signal(region, category, municipality, source):
    return SignalFactory(region=region, category=category, municipality=municipality, source=source)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in English (the locale middleware
    activates it for the thread) must not leave later direct calls speaking English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
