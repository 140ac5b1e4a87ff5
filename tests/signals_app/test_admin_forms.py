"""The admin as administrators meet it: secrets masked and rotated, the address to paste into
the platform shown, an executor only from the agency's staff, Russian grammar in its phrases."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from signals_app.ingest.models import RoutingRule
from signals_app.models import Source
from tests.factories import SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def _source_data(source, **changes):
    return {
        "region": source.region_id, "slug": source.slug, "name": source.name,
        "channel": source.channel, "secret": "", "reply_token": "",
        "confirmation_code": source.confirmation_code, "official_page": "", "agency": "",
        "is_active": "on",
    } | changes  # fmt: skip


def test_a_secret_is_never_shown_kept_when_empty_and_rotated_once(admin_client, region):
    source = SourceFactory(region=region, channel="vk", slug="vk-city", secret="old-secret",
                           reply_token="vk-token", confirmation_code="a1b2c3")  # fmt: skip
    url = reverse("admin:signals_app_source_change", args=[source.pk])
    page = admin_client.get(url).content.decode()
    assert "old-secret" not in page and "vk-token" not in page
    assert "/hooks/vk/vk-city/" in page and "a1b2c3" in page  # what to paste into VK
    assert admin_client.post(url, _source_data(source)).status_code == 302
    source.refresh_from_db()
    assert (source.secret, source.reply_token) == ("old-secret", "vk-token")  # kept
    response = admin_client.post(url, _source_data(source, rotate_secret="on"), follow=True)
    source.refresh_from_db()
    assert source.secret != "old-secret" and source.secret in response.content.decode()
    again = admin_client.get(url).content.decode()
    assert source.secret not in again  # shown once


def test_a_routing_rules_executor_works_in_its_agency(admin_client, region, agency, executor):
    stranger = UserFactory(username="admin2", first_name="Пётр", last_name="Админов")
    url = reverse("admin:signals_app_routingrule_add")
    data = {"region": region.pk, "order": 100, "agency": agency.pk, "keywords": "", "pattern": "",
            "is_active": "on"}  # fmt: skip
    refused = admin_client.post(url, data | {"executor": stranger.pk})
    assert refused.status_code == 200 and "не работает в" in refused.content.decode()
    assert admin_client.post(url, data | {"executor": executor.pk}).status_code == 302
    assert RoutingRule.objects.get().executor == executor
    picker = admin_client.get(reverse("admin:autocomplete"), {
        "app_label": "signals_app", "model_name": "routingrule", "field_name": "executor",
        "term": "",
    }).json()  # fmt: skip
    names = [row["text"] for row in picker["results"]]
    assert f"{executor.get_full_name()} ({executor.username})" in names
    assert not [name for name in names if "admin2" in name or name == "root"]


def test_the_admin_speaks_russian_grammar(admin_client, region):
    from signals_app.models import SLAPolicy

    for number in range(5):
        SLAPolicy.objects.create(region=region, name=f"Политика {number}")
    listing = admin_client.get(reverse("admin:signals_app_slapolicy_changelist")).content.decode()
    assert "5 политик сроков" in listing and "Добавить политику сроков" in listing
    assert "Выберите политику сроков для изменения" in listing


def test_source_create_sets_the_confirmation_and_the_page(region, agency, capsys):
    from agencies.models import OfficialPage

    page = OfficialPage.objects.create(agency=agency, network="vk", external_id="777",
                                       url="https://vk.com/club777")  # fmt: skip
    call_command("source_create", channel="vk", slug="vk-777", name="VK 777",
                 confirmation="f00dbabe", official_page=page.pk)  # fmt: skip
    source = Source.objects.get(slug="vk-777")
    assert (source.confirmation_code, source.official_page) == ("f00dbabe", page)
    assert "/hooks/vk/vk-777/" in capsys.readouterr().out
