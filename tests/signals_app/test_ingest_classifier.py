"""The text classifier: training with a held-out part, versions, the threshold, precedence."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command

from signals_app.ingest import classifier
from signals_app.ingest import process as ingest_process
from signals_app.ingest import services as ingest
from signals_app.models import ClassificationRule, Signal, SignalEvent, TextClassifier
from tests.factories import CategoryFactory, SignalFactory, SourceFactory

pytestmark = pytest.mark.django_db

PHRASES = {
    "water": ["нет горячей воды", "прорвало трубу водопровода", "ржавая вода из крана"],
    "roads": ["яма на дороге", "разбитый асфальт на проезжей части", "не чистят дорогу от снега"],
    "schools": ["в школе холодно", "нет учителя математики в школе", "закрыли школьную столовую"],
}
PLACES = ["ул. Ленина", "пр. Победы", "ул. Кирова", "ул. Гагарина", "ул. Мира"]


@pytest.fixture
def topics(region):
    parent = CategoryFactory(region=region, code="city", name="Город")
    return {
        code: CategoryFactory(region=region, parent=parent, code=code, name=code)
        for code in PHRASES
    }


@pytest.fixture
def history(region, topics, monkeypatch):
    """30 classified signals per category, with varied wording."""
    monkeypatch.setattr(classifier, "MIN_SAMPLES", 60)
    classifier.classifier_forget()
    counter = itertools.count()
    for code, phrases in PHRASES.items():
        for index in range(30):
            phrase = phrases[index % len(phrases)]
            SignalFactory(
                region=region,
                text=f"Здравствуйте, {phrase}, {PLACES[index % 5]}, д. {next(counter)}",
                category=topics[code],
            )
    yield
    classifier.classifier_forget()


def test_training_stores_a_version_with_its_held_out_accuracy(region, history, topics):
    result = classifier.classifier_train(region=region, threshold=0.5)
    model = result.classifier

    assert model is not None and model.version == 1
    assert (model.samples, model.holdout) == (72, 18)
    assert sorted(model.classes) == sorted(category.pk for category in topics.values())
    assert model.accuracy >= 0.9
    assert 0 < model.coverage <= 1 and model.threshold == 0.5
    assert len(bytes(model.model)) > 1000

    assert classifier.classifier_train(region=region).classifier.version == 2


def test_too_little_history_trains_nothing(region, topics):
    SignalFactory(region=region, text="нет воды", category=topics["water"])

    result = classifier.classifier_train(region=region)

    assert result.classifier is None and "too little classified history" in result.reason
    assert not TextClassifier.objects.exists()


def process(source, text, external_id):
    stored = ingest.inbound_store(
        source=source,
        external_id=external_id,
        payload={
            "external_id": external_id,
            "text": text,
            "posted_at": "2026-11-24T10:00:00+05:00",
        },
    )
    return ingest_process.inbound_process(message_id=stored.message.pk)


def test_a_confident_prediction_sets_the_category_with_a_note(region, history, topics):
    classifier.classifier_train(region=region, threshold=0.5)
    source = SourceFactory(region=region, channel="api")

    signal = process(source, "Опять прорвало трубу водопровода во дворе, ул. Мира", "a-1")

    assert signal.category == topics["water"]
    event = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CATEGORY_CHANGED)
    assert event.actor is None
    assert event.reason.startswith("Текстовый классификатор v1, уверенность 0.")


def test_below_the_threshold_the_signal_stays_for_an_analyst(region, history, topics):
    result = classifier.classifier_train(region=region, threshold=0.99)
    assert result.classifier.coverage < 1
    source = SourceFactory(region=region, channel="api")

    signal = process(source, "Прошу разобраться с ситуацией у дома", "a-2")

    assert signal.category is None
    assert not SignalEvent.objects.filter(
        signal=signal, kind=SignalEvent.Kind.CATEGORY_CHANGED
    ).exists()


def test_rules_come_before_the_classifier(region, history, topics):
    classifier.classifier_train(region=region, threshold=0.5)
    ClassificationRule.objects.create(
        region=region, category=topics["schools"], keywords="водопровод"
    )
    source = SourceFactory(region=region, channel="api")

    signal = process(source, "Прорвало трубу водопровода, ул. Мира", "a-3")

    assert signal.category == topics["schools"]
    assert (
        SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CATEGORY_CHANGED).reason
        == "Правило классификации"
    )


def test_an_inactive_version_is_not_used(region, history, topics):
    model = classifier.classifier_train(region=region, threshold=0.5).classifier
    TextClassifier.objects.filter(pk=model.pk).update(is_active=False)
    classifier.classifier_forget()
    source = SourceFactory(region=region, channel="api")

    signal = process(source, "Прорвало трубу водопровода, ул. Мира", "a-4")

    assert signal.category is None
    assert Signal.objects.filter(category__isnull=False).count() == 90


def test_the_command_prints_the_accuracy(region, history, capsys):
    call_command("classifier_train", "--region", region.code, "--threshold", "0.5")
    out = capsys.readouterr().out

    assert f"{region.code}: version 1, 72 training and 18 held-out signals, 3 categories" in out
    assert "held-out accuracy" in out and "coverage" in out
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("classifier_train", "--threshold", "1.5")
    with pytest.raises(CommandError, match="No region"):
        call_command("classifier_train", "--region", "99")
