"""Classification and routing by rules, as the inbox applies them."""

from __future__ import annotations

import pytest

from signals_app.ingest import process as ingest_process
from signals_app.ingest import services as ingest
from signals_app.models import ClassificationRule, RoutingRule, Signal
from tests.factories import AgencyFactory, CategoryFactory, MunicipalityFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def topics(region):
    zhkh = CategoryFactory(region=region, code="zhkh", name="ЖКХ")
    water = CategoryFactory(region=region, code="zhkh-water", name="Водоснабжение", parent=zhkh)
    roads = CategoryFactory(region=region, code="roads", name="Дороги")
    return {"zhkh": zhkh, "water": water, "roads": roads}


@pytest.fixture
def api(region):
    return SourceFactory(region=region, slug="api", channel="api", secret="t")


def process(source, external_id, text, **extra):
    stored = ingest.inbound_store(
        source=source, external_id=external_id, payload={"text": text} | extra
    )
    ingest_process.inbound_process(message_id=stored.message.pk)
    return Signal.objects.get(source=source, external_id=external_id)


def test_keywords_and_expressions_classify_first_match_wins(region, topics, api):
    ClassificationRule.objects.create(
        region=region, category=topics["water"], keywords="вода, водоснабжение", order=1
    )
    ClassificationRule.objects.create(
        region=region, category=topics["roads"], pattern=r"ям[аы]", order=2
    )
    ClassificationRule.objects.create(
        region=region, category=topics["zhkh"], keywords="вода", order=3
    )
    assert (
        process(api, "1", "Нет ВОДЫ третий день").category is None
    )  # "воды" ≠ "вода": keywords are literal
    assert process(api, "2", "Горячая вода ржавая").category == topics["water"]
    assert process(api, "3", "Огромные ямы на дороге").category == topics["roads"]
    assert process(api, "4", "Шумят соседи").category is None


def test_a_category_hint_in_the_payload_wins_over_rules(region, topics, api):
    ClassificationRule.objects.create(region=region, category=topics["roads"], keywords="вода")
    assert process(api, "1", "вода", category="zhkh-water").category == topics["water"]


def test_routing_rules_first_match_wins_and_inactive_agencies_are_skipped(
    region, topics, api, analyst
):
    city = MunicipalityFactory(region=region, name="Копейск")
    utility = AgencyFactory(region=region, name="Водоканал")
    closed = AgencyFactory(region=region, name="Закрытое ведомство", is_active=False)
    admin = AgencyFactory(region=region, name="Администрация Копейска")
    ClassificationRule.objects.create(region=region, category=topics["water"], keywords="вода")
    skipped = RoutingRule.objects.create(
        region=region, order=1, category=topics["water"], agency=closed
    )
    RoutingRule.objects.create(
        region=region, order=2, category=topics["zhkh"], municipality=city, agency=utility
    )
    RoutingRule.objects.create(region=region, order=3, municipality=city, agency=admin)
    RoutingRule.objects.create(region=region, order=4, keywords="асфальт", agency=admin)

    water_in_city = process(api, "1", "Холодная вода не идёт", municipality="Копейск")
    assert (water_in_city.agency, water_in_city.status) == (
        utility,
        "in_progress",
    )  # topic covers subtopic
    skipped.refresh_from_db()
    assert skipped.skipped_inactive_agency is True
    assert process(api, "2", "Сломана скамейка", municipality="Копейск").agency == admin
    assert process(api, "3", "Положите асфальт").agency == admin
    unrouted = process(api, "4", "Просто вопрос")
    assert (unrouted.agency, unrouted.status) == (None, "new")  # stays with the analysts


def test_a_rule_executor_outside_the_agency_does_not_block_routing(
    region, topics, api, outsider_executor
):
    target = AgencyFactory(region=region, name="Ведомство")
    RoutingRule.objects.create(
        region=region, keywords="свет", agency=target, executor=outsider_executor
    )
    signal = process(api, "1", "Нет света")
    assert (signal.agency, signal.assignee) == (target, None)


def test_the_same_author_repeating_himself_within_a_day_is_linked_not_new_work(region, api):
    first = process(
        api,
        "1",
        "Третий день нет горячей воды в доме 5!",
        author={"profile_url": "https://vk.com/id5"},
    )
    again = process(
        api,
        "2",
        "третий день НЕТ горячей воды в доме 5",
        author={"profile_url": "https://vk.com/id5"},
    )
    other = process(
        api,
        "3",
        "Третий день нет горячей воды в доме 5!",
        author={"profile_url": "https://vk.com/id6"},
    )
    assert (again.duplicate_of, again.status) == (first, "rejected")
    assert first.number in again.rejection_reason
    # The same long text from another author in the same channel is a cross-post too.
    assert other.duplicate_of == first
    different = process(
        api,
        "4",
        "Во дворе сломали детскую площадку, доска торчит",
        author={"profile_url": "https://vk.com/id5"},
    )
    assert (different.duplicate_of, different.status) == (None, "new")
    assert Signal.objects.filter(status="new").count() == 2


def test_short_texts_from_different_people_are_not_duplicates(region, api):
    process(api, "1", "Когда?", author={"profile_url": "https://vk.com/id1"})
    second = process(api, "2", "Когда?", author={"profile_url": "https://vk.com/id2"})
    assert second.duplicate_of is None
