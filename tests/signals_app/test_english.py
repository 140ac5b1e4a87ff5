"""The product in English: the main pages of each role, rendered with English chosen, hold no
Cyrillic outside the data (here every name and text of the data is Latin)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from signals_app.choices import Status
from tests.factories import CategoryFactory, MunicipalityFactory, SignalFactory
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё ,.«»—-]*")


@pytest.fixture
def latin(region, analyst, executor, coordinator, supervisor, agency, municipality):
    municipality.name = "Chelyabinsk"
    municipality.save(update_fields=["name"])
    for person in (analyst, executor, coordinator, supervisor):
        person.first_name, person.last_name = "Anna", "Smith"
        person.save(update_fields=["first_name", "last_name"])
    region.name = "Chelyabinsk Oblast"
    region.save()
    agency.name = "City Administration"
    agency.save()
    topic = CategoryFactory(region=region, code="roads", name="Roads")
    sub = CategoryFactory(region=region, parent=topic, code="roads-holes", name="Potholes")
    town = MunicipalityFactory(region=region, name="Kopeysk")
    signals = [SignalFactory(region=region, category=sub, municipality=town, text=f"Pothole {n}",
                             author_name="Ivan Petrov", address="Lenin st. 5") for n in range(3)]  # fmt: skip
    drive(signals[0], Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    return signals


def english_page(client, user, url):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return CYRILLIC.findall(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("who", ["analyst", "executor", "coordinator", "supervisor"])
def test_the_main_pages_speak_english(client, latin, who, request):
    user = request.getfixturevalue(who)
    pages = [
        reverse("signals_app:signal_list"),
        reverse("signals_app:my_work"),
        reverse("signals_app:notification_list"),
        reverse("signals_app:signal_detail", args=[latin[0].number]),
        reverse("signals_app:saved_view_list"),
        reverse("reports:export_create"),
    ]
    if who in ("analyst", "supervisor"):
        pages += [reverse("reports:report_list"), reverse("reports:dashboard")]
    found = {url: english_page(client, user, url) for url in pages}
    assert {url: words for url, words in found.items() if words} == {}
