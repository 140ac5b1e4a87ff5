"""The channel registry: one package per channel, found by name, and each channel's payloads in
their platforms' real shape coming to what they must."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.urls import reverse

from signals_app import channels
from signals_app.channels.spec import Plan
from signals_app.choices import SOCIAL_CHANNELS, Channel
from signals_app.sla.defaults import DEFAULT_POLICIES
from tests.factories import SignalFactory


def test_every_channel_is_one_package_of_the_registry():
    assert [spec.code for spec in channels.CHANNELS] == list(Channel.values)
    assert len({spec.code for spec in channels.CHANNELS}) == len(channels.INSTALLED)
    for spec in channels.CHANNELS:
        assert spec.label and spec.mark, spec.code
        assert spec.policy in (None, "social", "platform", "appeal"), spec.code
        assert Channel(spec.code).label == spec.label
    assert {"vk", "ok", "telegram", "max"} == SOCIAL_CHANNELS


def test_the_parts_are_found_by_name():
    assert channels.part("vk", "normalise") is not None
    assert channels.part("widget", "normalise") is None
    assert channels.normaliser("widget") is channels.normaliser("api")  # the item shape
    names = {pattern.name for pattern in channels.intake_urlpatterns()}
    assert {"hook_vk", "hook_telegram", "widget", "ingest", "open311_requests"} <= names
    assert reverse("hook_vk", args=["x"]) == "/hooks/vk/x/"
    assert channels.idempotent("vk.messages.send") and channels.idempotent("pos.answer")
    assert not channels.idempotent("telegram.sendMessage") and not channels.idempotent("email")
    assert not channels.idempotent("nowhere.call")


def test_the_default_policies_cover_the_channels_their_packages_name():
    groups = {spec["name"]: spec["group"] for spec in DEFAULT_POLICIES}
    assert channels.policy_channels(groups["Социальные сети"]) == ["vk", "ok", "telegram", "max"]
    assert channels.policy_channels(groups["ПОС и виджет"]) == ["pos", "widget"]
    assert channels.policy_channels(groups["Обращения по 59-ФЗ"]) == ["visit", "email", "api"]


@pytest.mark.django_db
def test_a_channel_without_a_way_back_answers_by_e_mail_when_it_can(region):
    by_phone = SignalFactory(region=region, channel="phone", author_contact="a@example.org")
    assert channels.reply_plan(by_phone) == Plan("email", {"to": "a@example.org"})
    silent = SignalFactory(region=region, channel="phone", author_contact="+7 900 000-00-00")
    assert channels.reply_plan(silent).method == ""
    vk = SignalFactory(region=region, channel="vk", external_id="wall_reply:-5_10_20")
    assert channels.reply_plan(vk).method == "vk.wall.createComment"


FIXTURES = [
    (spec.code, path) for spec in channels.CHANNELS for path in channels.fixtures(spec.code)
]


def test_the_channels_keep_fixtures_in_their_packages():
    codes = {code for code, _path in FIXTURES}
    assert {"vk", "telegram", "api"} <= codes
    assert len(FIXTURES) >= 10


@pytest.mark.parametrize(("code", "path"), FIXTURES, ids=[f"{c}/{p.stem}" for c, p in FIXTURES])
def test_each_fixture_comes_to_what_it_says(code, path):
    sample = json.loads(path.read_text(encoding="utf-8"))
    outcome = channels.normaliser(code)(sample["payload"], sample["external_id"])
    expect = sample["expect"]
    assert outcome.action == expect["action"]
    if "key" in expect:
        assert outcome.key == expect["key"]
    if "page_id" in expect:
        assert outcome.page_id == expect["page_id"]
    data = outcome.data
    if expect["action"] in ("create", "edit"):
        assert data is not None and data.text == expect["text"]
        for name in ("thread_id", "external_url", "author_profile_url"):
            if name in expect:
                assert getattr(data, name) == expect[name], name
        if expect.get("posted"):
            assert isinstance(data.posted_at, datetime) and data.posted_at.tzinfo is not None
