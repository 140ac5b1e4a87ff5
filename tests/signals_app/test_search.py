"""Russian full-text search: phrases word for word, every word typed ranked first, negation,
queries of stop words alone, and the fragment shown (signals_app/search.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from signals_app.filters import SignalFilterSet, default_order
from signals_app.models import Signal
from tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

TEXTS = {
    "melt": "Талая вода подтапливает частные дома на улице Мира.",
    "none": "Нет холодной воды с утра, улица Мира. Когда дадут?",
    "none_far": "Нет ответа третий день, а в кране так и нет никакой воды, двор дома 5.",
    "rust": "Из крана идёт ржавая вода уже неделю.",
    "pit": "Яма на дороге у дома 7.",
    "pit_yard": "Во дворе сплошные ямы и лужи.",
    "nothing": "Нет никакого ответа.",
}


@pytest.fixture
def texts(region):
    return {key: SignalFactory(region=region, text=text) for key, text in TEXTS.items()}


def search(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    filters = SignalFilterSet(
        request.GET, queryset=default_order(Signal.objects.all()), request=request
    )
    by_text = {text: key for key, text in TEXTS.items()}
    return [by_text[text] for text in filters.qs.values_list("text", flat=True)]


def queue_order(client, user, q, **params):
    """The texts' keys in the order the queue page lists them."""
    client.force_login(user)
    body = client.get(reverse("signals_app:signal_list"), {"q": q, "view": "", **params})
    html = body.content.decode()
    numbers = {Signal.objects.get(text=text).number: key for key, text in TEXTS.items()}
    found = sorted((html.index(f">{number}<"), key) for number, key in numbers.items()
                   if f">{number}<" in html)  # fmt: skip
    return [key for _position, key in found]


def test_unquoted_words_rank_the_texts_holding_all_of_them_first(client, analyst, texts):
    # «нет» does not narrow the result (a stop word)…
    assert set(search(analyst, q="нет воды")) == {"melt", "none", "none_far", "rust"}
    # …but on the page the texts that hold it come first, before earlier deadlines.
    Signal.objects.filter(pk=texts["melt"].pk).update(next_deadline_at=timezone.now())
    found = queue_order(client, analyst, "нет воды")
    assert set(found[:2]) == {"none", "none_far"} and set(found[2:]) == {"melt", "rust"}
    assert found[2] == "melt"  # each tier in deadline order


def test_a_ranked_search_pages_and_counts_as_one_list(client, analyst, texts):
    for index in range(60):
        SignalFactory(region=texts["melt"].region, text=f"Вода в подвале дома {index}")
    client.force_login(analyst)
    first = client.get(reverse("signals_app:signal_list"), {"q": "нет воды", "view": ""})
    html = first.content.decode()
    assert "64 обращения" in html
    assert html.index(texts["none"].number) < html.index("Вода в подвале")
    second = client.get(
        reverse("signals_app:signal_list"), {"q": "нет воды", "view": "", "page": 2}
    ).content.decode()
    assert texts["none"].number not in second and "Вода в подвале" in second
    assert html.count('data-href="/signals/') + second.count('data-href="/signals/') == 64


def test_a_quoted_phrase_matches_word_for_word_with_its_stop_words(analyst, texts):
    assert search(analyst, q='"нет воды"') == []  # no text has «нет» right before «вода»
    assert search(analyst, q='"нет холодной воды"') == ["none"]
    assert search(analyst, q='"ржавая вода" -неделя') == []
    assert search(analyst, q='"ржавая вода"') == ["rust"]


def test_negation_and_a_query_of_stop_words_alone(analyst, texts):
    assert search(analyst, q="яма -двор") == ["pit"]
    assert set(search(analyst, q="нет")) == {"none", "none_far", "nothing"}


def test_words_all_found_keep_the_deadline_order(client, analyst, texts):
    Signal.objects.filter(pk=texts["rust"].pk).update(next_deadline_at=timezone.now())
    Signal.objects.filter(pk=texts["none"].pk).update(
        next_deadline_at=timezone.now() + timedelta(hours=1)
    )
    assert queue_order(client, analyst, "вода")[:2] == ["rust", "none"]


def test_a_chosen_order_wins_over_relevance(client, analyst, texts):
    assert queue_order(client, analyst, "нет воды", ordering="-number")[0] == "rust"


def test_the_fragment_marks_every_word_found(client, analyst, texts):
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_list"), {"q": "нет воды", "view": ""})
    assert "<mark>Нет</mark> холодной <mark>воды</mark>" in page.content.decode()


def test_the_api_finds_the_same(client, analyst, texts):
    client.force_login(analyst)
    api = client.get(reverse("api:signal_list"), {"q": '"нет холодной воды"'})
    assert [row["text"] for row in api.json()["results"]] == [TEXTS["none"]]


@pytest.mark.parametrize("table_rows", [1, 10**12])  # always in index order / always sorted
def test_ranked_rows_read_either_way_are_the_one_sorted_list(analyst, texts, table_rows,
                                                             monkeypatch):  # fmt: skip
    from django.db.models import BooleanField, ExpressionWrapper, F, Q

    from signals_app import filters
    from signals_app import search as words
    from signals_app.filters import QUEUE_ORDER, RankedRows

    region = texts["melt"].region
    for index in range(25):
        text = f"Нет воды в доме {index}" if index % 3 else f"Вода в подвале {index}"
        SignalFactory(region=region, text=text,
                      received_at=timezone.now() - timedelta(hours=index))  # fmt: skip
    monkeypatch.setattr(filters, "_table_rows", lambda: table_rows)
    reads = []
    real_read = filters._read
    monkeypatch.setattr(
        filters, "_read", lambda *a, dense: reads.append(dense) or real_read(*a, dense=dense)
    )
    matching = default_order(Signal.objects.filter(search_vector=words.matching("нет воды")))
    every = Q(search_vector=words.every_word("нет воды"))
    expected = list(
        matching.alias(every=ExpressionWrapper(every, BooleanField()))
        .order_by(F("every").desc(), *QUEUE_ORDER).values_list("pk", flat=True)
    )  # fmt: skip
    rows = RankedRows(matching.filter(every), matching.exclude(every))
    assert rows.capped_count(1000) == len(expected) == 29
    for low in range(0, 30, 7):  # pages that start inside, at and after the first part's end
        assert [row.pk for row in rows[low : low + 7]] == expected[low : low + 7]
    assert set(reads) == {table_rows == 1}  # the way the sizes chose
