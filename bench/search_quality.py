"""Search quality: precision at 20 of a labelled set of queries, before and after.

    python bench/search_quality.py [--signals 20000] [--reuse]

The set is 20 queries an analyst types, each labelled with what an analyst looking for it
wants: a regular expression over the demo texts (the demo's phrasings of that complaint). A
signal is relevant when its text matches. Precision at 20 is the relevant share of the first
20 results, over min(20, relevant signals in the database), so a query with 7 relevant
signals scores 1.0 when the 7 come first.

"before" is the search as it was: the stock `russian` configuration (its stop list drops
«нет», «не», «без»), `websearch_to_tsquery`, the queue's deadline order. "after" is the
product's own FilterSet and the queue's relevance order (signals_app/search.py). The database is `<name>_search`, loaded by
the demo loader (default seed) unless `--reuse` finds it filled.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import psycopg
from common import ROOT, fresh_database

# (query, what is relevant): the second is matched against the lowercased text.
LABELLED = [
    ("нет воды", r"нет (холодной |горячей )?воды"),
    ('"нет света"', r"нет света"),
    ("не работает лифт", r"не работает лифт|лифт стоит"),
    ("нет талонов", r"нет талонов"),
    ("не вывозят мусор", r"не вывоз(ят|ит) мусор|мусор не вывозят|мебель у контейнеров не"),
    ('"горячей воды"', r"горячей воды"),
    ("яма на дороге", r"ямы на дороге|яма на перекрёстке|асфальт опять провалился"),
    ("яма -двор", r"ямы на дороге|яма на перекрёстке"),
    ("холодно в школе", r"в школе холодно"),
    ("нет врача", r"нет ни одного врача"),
    ("нет учителя", r"нет учителя"),
    ("не горят фонари", r"фонари не горят|не горит ночью|нет освещения"),
    ("бродячие собаки", r"бродячих собак|собаки напали"),
    ("нет мобильной связи", r"нет мобильной связи"),
    ("автобус не ходит", r"автобус по маршруту \S+ не ходит|отменили школьный автобус"),
    ("течёт крыша", r"крыш\w* .*теч|теч\w* крыша|крыша течёт"),
    ("нет пандуса", r"нет пандуса"),
    ("не чистят снег", r"не чистят от снега"),
    ("нет газа", r"отключили газ"),
    ("не выдают лекарства", r"не выдают положенные лекарства|нет льготного инсулина"),
]
K = 20

BEFORE = """
SELECT text FROM signals_app_signal
WHERE to_tsvector('russian', text) @@ websearch_to_tsquery('russian', %s)
ORDER BY next_deadline_at ASC NULLS LAST, received_at DESC, id DESC
LIMIT %s
"""


def database(signals: int, reuse: bool) -> str:
    if reuse:
        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
        url = url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_search"
        try:
            with psycopg.connect(url) as conn:
                count = conn.execute("SELECT count(*) FROM signals_app_signal").fetchone()
            if count and count[0] >= signals:
                subprocess.run(
                    [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
                    env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
                    check=True,
                )
                return url
        except psycopg.OperationalError:
            pass
    fresh = fresh_database("search")
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "demo_load", "--signals", str(signals),
         "--no-classifier"],
        env=fresh.env(), check=True,
    )  # fmt: skip
    return fresh.url


def precision(texts: list[str], pattern: re.Pattern[str], relevant: int) -> float:
    if not relevant:
        return 1.0 if not texts else 0.0
    hits = sum(1 for text in texts[:K] if pattern.search(text.lower()))
    return hits / min(K, relevant)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = database(args.signals, args.reuse)

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from signals_app.filters import SignalFilterSet, default_order, relevance_order
    from signals_app.models import Signal

    with psycopg.connect(url) as conn:
        every_text = [row[0].lower() for row in conn.execute("SELECT text FROM signals_app_signal")]
        print(f"{len(every_text):,} signals; precision at {K} (relevant in the first {K} "
              f"over min({K}, relevant)), hits, time")  # fmt: skip
        print(f"{'query':26} {'relevant':>8} | {'before':>6} {'hits':>6} {'ms':>5} | "
              f"{'after':>6} {'hits':>6} {'ms':>5}")  # fmt: skip
        before_all, after_all, after_ms = [], [], []
        for query, label in LABELLED:
            pattern = re.compile(label)
            relevant = sum(1 for text in every_text if pattern.search(text))
            started = time.perf_counter()
            old = [row[0] for row in conn.execute(BEFORE, (query, K))]
            old_ms = (time.perf_counter() - started) * 1000
            old_hits = conn.execute(
                "SELECT count(*) FROM signals_app_signal "
                "WHERE to_tsvector('russian', text) @@ websearch_to_tsquery('russian', %s)",
                (query,),
            ).fetchone()[0]
            filters = SignalFilterSet({"q": query}, queryset=default_order(Signal.objects.all()))
            started = time.perf_counter()
            rows = relevance_order(filters, filters.qs)  # as the queue page orders them
            new = list(rows.values_list("text", flat=True)[:K])
            new_ms = (time.perf_counter() - started) * 1000
            new_hits = filters.qs.order_by().count()
            before, after = precision(old, pattern, relevant), precision(new, pattern, relevant)
            before_all.append(before)
            after_all.append(after)
            after_ms.append(new_ms)
            print(f"{query:26} {relevant:>8} | {before:>6.2f} {old_hits:>6} {old_ms:>5.0f} | "
                  f"{after:>6.2f} {new_hits:>6} {new_ms:>5.0f}")  # fmt: skip
    print(f"mean precision at {K}: before {statistics.mean(before_all):.2f}, "
          f"after {statistics.mean(after_all):.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
