"""The text classifier: trained on a region's own classified signals, used above a threshold.

TF-IDF of word uni- and bigrams and of character 4-grams within words (robust to Russian
endings and typos) feed a logistic regression; its probability is the confidence. On the demo
data, 3–5-grams were no more accurate and took twice as long to apply. A fifth of the history is
held out: the accuracy stored with each version is measured on it, by the stored model itself.
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from agencies.models import Region
from signals_app.models import Signal, TextClassifier

logger = logging.getLogger(__name__)

MIN_SAMPLES = 200
MIN_PER_CATEGORY = 5
HOLDOUT_SHARE = 0.2
TRAIN_LIMIT = 100_000  # the most recent classified signals
RELOAD_SECONDS = 60  # how often a process looks for a newer version


def _pipeline() -> Any:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(
            TfidfVectorizer(
                analyzer="word", ngram_range=(1, 2), min_df=2, max_features=60_000,
                sublinear_tf=True, dtype=np.float32,
            ),
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(4, 4), min_df=3, max_features=40_000,
                sublinear_tf=True, dtype=np.float32,
            ),
        ),
        LogisticRegression(C=10.0, max_iter=300),
    )  # fmt: skip


def default_threshold() -> float:
    return float(getattr(settings, "CLASSIFIER_THRESHOLD", 0.6))


@dataclass(frozen=True)
class TrainingResult:
    classifier: TextClassifier | None
    reason: str = ""
    seconds: float = 0.0


def classifier_train(
    *, region: Region, threshold: float | None = None, limit: int = TRAIN_LIMIT, seed: int = 0
) -> TrainingResult:
    """Train a new version on the region's classified history and store it with its metrics."""
    import joblib
    import numpy as np
    from sklearn.model_selection import train_test_split

    started = time.perf_counter()
    threshold = default_threshold() if threshold is None else threshold
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must be between 0 and 1")
    rows = list(
        Signal.objects.filter(
            region=region, category__isnull=False, category__is_active=True,
            duplicate_of__isnull=True,
        )
        .order_by("-received_at")
        .values_list("text", "category_id")[:limit]
    )  # fmt: skip
    counts = Counter(category for _, category in rows)
    rows = [(text, category) for text, category in rows if counts[category] >= MIN_PER_CATEGORY]
    labels = {category for _, category in rows}
    if len(rows) < MIN_SAMPLES or len(labels) < 2:
        return TrainingResult(
            None,
            f"too little classified history: {len(rows)} signals in {len(labels)} categories "
            f"(need {MIN_SAMPLES} in at least 2)",
        )
    texts = [text for text, _ in rows]
    targets = np.array([category for _, category in rows])
    train_x, test_x, train_y, test_y = train_test_split(
        texts, targets, test_size=HOLDOUT_SHARE, stratify=targets, random_state=seed
    )
    model = _pipeline()
    model.fit(train_x, train_y)
    probabilities = model.predict_proba(test_x)
    predicted = model.classes_[probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1)
    correct = predicted == test_y
    confident = confidence >= threshold
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    with transaction.atomic():
        version = (
            TextClassifier.objects.select_for_update()
            .filter(region=region)
            .aggregate(top=Max("version"))["top"]
            or 0
        ) + 1
        classifier = TextClassifier.objects.create(
            region=region,
            version=version,
            samples=len(train_x),
            holdout=len(test_x),
            accuracy=float(correct.mean()),
            threshold=threshold,
            accuracy_above_threshold=float(correct[confident].mean()) if confident.any() else 0.0,
            coverage=float(confident.mean()),
            classes=[int(value) for value in model.classes_],
            model=buffer.getvalue(),
        )
    seconds = time.perf_counter() - started
    logger.info(
        "classifier_trained region=%s version=%s accuracy=%.4f coverage=%.4f seconds=%.1f",
        region.code, version, classifier.accuracy, classifier.coverage, seconds,
    )  # fmt: skip
    return TrainingResult(classifier, seconds=seconds)


@dataclass
class _Loaded:
    pk: int
    version: int
    threshold: float
    model: Any
    checked_at: float


_loaded: dict[int, _Loaded | None] = {}
_checked: dict[int, float] = {}


def _current(region_id: int) -> _Loaded | None:
    """The region's newest active model, loaded once per process and re-checked every minute."""
    now = time.monotonic()
    if now - _checked.get(region_id, -RELOAD_SECONDS) < RELOAD_SECONDS:
        return _loaded.get(region_id)
    _checked[region_id] = now
    head = (
        TextClassifier.objects.filter(region_id=region_id, is_active=True)
        .order_by("-version")
        .values("pk", "version", "threshold")
        .first()
    )
    cached = _loaded.get(region_id)
    if head is None:
        _loaded[region_id] = None
    elif cached is None or cached.pk != head["pk"]:
        import joblib

        blob = TextClassifier.objects.values_list("model", flat=True).get(pk=head["pk"])
        _loaded[region_id] = _Loaded(
            head["pk"], head["version"], head["threshold"], joblib.load(io.BytesIO(blob)), now
        )
    elif cached.threshold != head["threshold"]:
        cached.threshold = head["threshold"]  # an administrator moved the threshold
    return _loaded.get(region_id)


def classifier_forget() -> None:
    """Drop the loaded models (tests; a process that must see a new version at once)."""
    _loaded.clear()
    _checked.clear()


@dataclass(frozen=True)
class Prediction:
    category_id: int
    confidence: float
    version: int


def classify_by_model(*, region_id: int, texts: list[str]) -> list[Prediction | None]:
    """The model's category for each text where its confidence reaches the threshold."""
    current = _current(region_id)
    if current is None or not texts:
        return [None] * len(texts)
    probabilities = current.model.predict_proba(texts)
    best = probabilities.argmax(axis=1)
    return [
        Prediction(int(current.model.classes_[index]), float(row[index]), current.version)
        if row[index] >= current.threshold
        else None
        for row, index in zip(probabilities, best, strict=True)
    ]
