"""The queue's FilterSet: each filter, the default order, choices scoped to the user's regions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from signals_app.filters import SignalFilterSet, default_order
from signals_app.models import Reply, Signal
from tests.factories import CategoryFactory, SignalFactory

pytestmark = pytest.mark.django_db


def run(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    filters = SignalFilterSet(
        request.GET, queryset=default_order(Signal.objects.all()), request=request
    )
    return filters, list(filters.qs.values_list("text", flat=True))


@pytest.fixture
def signals(region, category, municipality, executor, agency):
    now = timezone.now()
    make = SignalFactory
    rows = {
        "water": make(region=region, text="Прорвало трубу на улице Ленина", category=category,
                      municipality=municipality, channel="vk"),
        "road": make(region=region, text="Яма на дороге", channel="telegram"),
        "mine": make(region=region, text="Моё поручение", agency=agency, assignee=executor,
                     channel="api"),
    }  # fmt: skip
    Signal.objects.filter(pk=rows["water"].pk).update(next_deadline_at=now - timedelta(hours=1))
    Signal.objects.filter(pk=rows["road"].pk).update(
        next_deadline_at=now + timedelta(hours=2), reopened_count=1, is_mass_incident=True
    )
    Signal.objects.filter(pk=rows["mine"].pk).update(next_deadline_at=now + timedelta(days=3))
    Reply.objects.create(
        signal=rows["mine"], text="Ответ", state=Reply.State.PUBLISHED, published_at=now,
        submitted_at=now, author=executor,
    )  # fmt: skip
    return rows


def test_default_order_is_the_next_deadline(analyst, signals):
    _, texts = run(analyst)
    assert texts == ["Прорвало трубу на улице Ленина", "Яма на дороге", "Моё поручение"]
    _, texts = run(analyst, ordering="-received")
    assert texts[0] == "Моё поручение"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "vk"}, {"Прорвало трубу на улице Ленина"}),
        ({"channel": ["vk", "telegram"]}, {"Прорвало трубу на улице Ленина", "Яма на дороге"}),
        ({"q": "трубы"}, {"Прорвало трубу на улице Ленина"}),  # Russian stemming
        ({"q": "ленина -труба"}, set()),
        ({"deadline": "overdue"}, {"Прорвало трубу на улице Ленина"}),
        ({"deadline": "hours", "hours": "3"}, {"Яма на дороге"}),
        ({"has_reply": "true"}, {"Моё поручение"}),
        ({"reopened": "true"}, {"Яма на дороге"}),
        ({"mass_incident": "true"}, {"Яма на дороге"}),
        ({"assignee": "nobody"}, {"Прорвало трубу на улице Ленина", "Яма на дороге"}),
        ({"assignee": ["me", "nobody"]}, {"Прорвало трубу на улице Ленина", "Яма на дороге"}),
        ({"category": []}, {"Прорвало трубу на улице Ленина", "Яма на дороге", "Моё поручение"}),
    ],
)
def test_each_filter(analyst, signals, params, expected):
    _, texts = run(analyst, **params)
    assert set(texts) == expected


def test_topic_covers_subtopics_and_me_is_the_user(analyst, executor, signals, category):
    _, texts = run(analyst, category=category.parent_id)
    assert texts == ["Прорвало трубу на улице Ленина"]
    _, texts = run(executor, assignee="me")
    assert texts == ["Моё поручение"]


def test_an_assignee_outside_the_list_is_reported_not_applied(analyst, signals):
    filters, texts = run(analyst, assignee="junk")
    assert "assignee" in filters.errors and len(texts) == 3


def test_the_assignee_list_is_me_nobody_and_my_colleagues_by_name(
    executor, coordinator, outsider_executor
):
    from signals_app.filters import assignee_choices

    stranger = outsider_executor
    choices = dict(assignee_choices(executor))
    assert list(choices)[:2] == ["me", "nobody"]
    assert choices["me"] == "я" and choices["nobody"] == "никто"
    assert choices[str(coordinator.pk)] == coordinator.get_full_name()
    assert str(stranger.pk) not in choices and str(executor.pk) not in choices


def test_topics_are_listed_each_with_its_subtopics(analyst, category):
    filters, _ = run(analyst)
    names = [str(label) for _value, label in filters.form.fields["category"].choices]
    topic = names.index(str(category.parent))
    assert names[topic + 1] == str(category)


def test_agency_staff_choose_among_their_agencies_only(executor, analyst, agency, region):
    from tests.factories import AgencyFactory

    other = AgencyFactory(region=region, name="Другое ведомство региона")
    staff_choices = {a.pk for a in run(executor)[0].form.fields["agency"].queryset}
    assert staff_choices == {agency.pk}
    assert {agency.pk, other.pk} <= {a.pk for a in run(analyst)[0].form.fields["agency"].queryset}


def test_received_period_in_local_days(analyst, signals):
    today = timezone.localdate()
    _, texts = run(analyst, received_from=today.isoformat(), received_to=today.isoformat())
    assert len(texts) == 3
    _, texts = run(analyst, received_to=(today - timedelta(days=1)).isoformat())
    assert texts == []


def test_choices_of_another_region_are_refused(analyst, other_region, signals):
    foreign = CategoryFactory(region=other_region, code="foreign")
    filters, texts = run(analyst, category=foreign.pk)
    assert "category" in filters.errors
    assert len(texts) == 3  # the bad filter is reported, not applied


def test_the_list_page_filters_by_url_and_keeps_them_when_paging(client, analyst, signals):
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_list"), {"q": "яма"}).content.decode()
    assert signals["road"].number in page and signals["water"].number not in page
    for index in range(55):
        SignalFactory(region=signals["road"].region, text=f"Яма номер {index}")
    page = client.get(reverse("signals_app:signal_list"), {"q": "яма"}).content.decode()
    assert "q=%D1%8F%D0%BC%D0%B0&amp;page=2" in page


def test_counters_per_status_and_overdue_respect_visibility(
    client, analyst, executor, foreign_analyst, signals
):
    from signals_app.selectors import signal_counts_for_user

    assert signal_counts_for_user(user=analyst) == {
        "new": 3, "in_progress": 0, "awaiting_info": 0, "reply_review": 0, "overdue": 1,
    }  # fmt: skip
    assert signal_counts_for_user(user=executor)["new"] == 1  # only their agency's
    assert signal_counts_for_user(user=foreign_analyst)["new"] == 0

    client.force_login(analyst)
    fragment = client.get(reverse("signals_app:signal_counts")).content.decode()
    assert 'hx-trigger="every 30s' in fragment
    assert "?deadline=overdue" in fragment and "tab-alert" in fragment
    assert 'status=new" class="tab">Новый <span class="badge">3</span>' in fragment


def test_bad_filter_values_are_reported_not_a_500(client, analyst, signals):
    client.force_login(analyst)
    for params in ({"deadline": "junk"}, {"hours": "abc"}, {"received_from": "32.13.2026"},
                   {"category": "999999"}, {"ordering": "drop table"}, {"q": "\x00"}):  # fmt: skip
        response = client.get(reverse("signals_app:signal_list"), params)
        assert response.status_code == 200, params
    page = client.get(reverse("signals_app:signal_list"), {"q": "несуществующее"}).content.decode()
    assert "Нет обращений под эти фильтры." in page


# --- a number typed into the search -----------------------------------------------------------


@pytest.fixture
def numbered(region):
    import time_machine

    with time_machine.travel("2026-06-01T10:00:00+05:00", tick=False):
        signals = [SignalFactory(region=region, text=f"Обращение {n}") for n in range(3)]
    Signal.objects.filter(pk=signals[1].pk).update(number="74-2026-020001", status="closed")
    signals[1].refresh_from_db()
    return signals


@pytest.mark.parametrize("typed", ["74-2026-020001", "2026-020001", "020001", "20001", " 20001 "])
def test_a_number_or_its_tail_finds_the_signal_in_any_view(analyst, numbered, typed):
    filters, _texts = run(analyst, q=typed, view="triage")  # closed: the view would hide it
    assert [signal.number for signal in filters.qs] == ["74-2026-020001"]


def test_a_tail_also_finds_texts_that_hold_it_and_other_searches_stay_text(
    analyst, region, numbered
):
    SignalFactory(region=region, text="Дом 20001 по улице Мира без света")
    assert len(run(analyst, q="20001")[1]) == 2
    assert run(analyst, q="74-2026-999999")[1] == []
    assert len(run(analyst, q="Обращение")[1]) == 3


def test_the_page_opens_the_signal_and_the_api_lists_it(client, analyst, numbered):
    client.force_login(analyst)
    response = client.get(reverse("signals_app:signal_list"), {"q": "020001"})
    assert (response.status_code, response["Location"]) == (302, "/signals/74-2026-020001/")
    live = client.get(reverse("signals_app:signal_list"), {"q": "020001"}, HTTP_HX_REQUEST="true")
    assert live["HX-Redirect"] == "/signals/74-2026-020001/"
    api = client.get(reverse("api:signal_list"), {"q": "2026-020001"})
    assert [row["number"] for row in api.json()["results"]] == ["74-2026-020001"]


def test_saved_queries_read_in_words_for_a_whole_list_at_once(
    client, analyst, region, category, municipality, django_assert_max_num_queries
):
    from signals_app.filters import describe_queries

    queries = [
        "view=triage",
        f"q=%D1%8F%D0%BC%D0%B0&status=new&status=in_progress&category={category.pk}",
        f"municipality={municipality.pk}&assignee=me&has_reply=true",
        "",
    ]
    with django_assert_max_num_queries(3):  # one per kind of named row, not per query
        words = describe_queries(queries)
    assert words["view=triage"] == "Представление: Разбор: новые, ненаправленные и просроченные"
    assert words[queries[1]] == ("Поиск: «яма» · Статус: Новый, В работе · Рубрика: Водоснабжение")
    assert (
        words[queries[2]] == f"Муниципалитет: {municipality.name} · Исполнитель: я · Есть ответ: да"
    )
    assert words[""] == ""
    from signals_app.models import SavedView

    SavedView.objects.create(owner=analyst, name="Ямы", query=queries[1], region=region)
    client.force_login(analyst)
    page = client.get(reverse("signals_app:saved_view_list")).content.decode()
    assert "Поиск: «яма»" in page and "q=%D1" not in page.split("<tbody>")[-1].split("href")[0]


def test_a_hand_made_query_is_described_without_failing(db):
    from signals_app.filters import describe_queries

    query = "category=999999999999999999999999&status=bogus&q=%00&unknown=1"
    words = describe_queries([query])[query]
    assert "999999999999999999999999" in words and "bogus" in words
