"""Early warning, measured: synthetic outbreaks of known size, place and start injected into a
region's history, the detector run over it hour by hour as the beat runs it, and its recall,
false alerts per region-week and time to detect printed.

The history is the demo region's (its 49 municipalities with their population weights, its 62
subtopics with their seasons, citizens writing by day more than by night) with what the demo
itself lacks and a real region has: quieter weekends and holidays, days busier or quieter
for everyone at once (weather, news) and clumps per place (a burst pipe is many letters).
The thresholds were set on the tuning seeds (`--tune`); the figures quoted in the README are
of the held-out seeds, which the detector was not tuned on.

    .venv/bin/python bench/analytics.py                 # the held-out seeds
    .venv/bin/python bench/analytics.py --tune          # the tuning seeds
    .venv/bin/python bench/analytics.py --per-day 800   # a smaller region
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signals_app.analytics import detect
from signals_app.demo import territory, topics

ZONE = ZoneInfo("Asia/Yekaterinburg")
HELD_OUT = (7401, 7402, 7403)
TUNING = (11, 12)
WEEK = (1.12, 1.10, 1.06, 1.02, 0.96, 0.84, 0.80)  # Monday first
OUTBREAK_HOURS = 48


@dataclass(frozen=True)
class Region:
    municipalities: list[str]
    weights: np.ndarray  # municipality shares, sum 1
    subtopics: list[tuple[int, str | None]]  # (topic index, season)
    topics: list[str]


def demo_region() -> Region:
    names, weights = [], []
    for name, _oktmo, weight in territory.CITY_OKRUGS:
        if name == "Челябинск":
            for district, _code in territory.CHELYABINSK_DISTRICTS:
                names.append(district)
                weights.append(weight / len(territory.CHELYABINSK_DISTRICTS))
        else:
            names.append(name)
            weights.append(weight)
    for name, _oktmo, weight in territory.DISTRICTS:
        names.append(name)
        weights.append(weight)
    subtopics = [
        (index, meta[4])
        for index, (_code, _name, items) in enumerate(topics.TOPICS)
        for meta in items
    ]
    share = np.asarray(weights) / sum(weights)
    return Region(names, share, subtopics, [name for _c, name, _i in topics.TOPICS])


def hour_shares() -> np.ndarray:
    """The demo's hours: gauss(14, 4.5), clipped to the day."""
    hours = np.arange(24)
    density = np.exp(-((hours - 14) ** 2) / (2 * 4.5**2))
    density[0] += density[0] * 0.5
    return density / density.sum()


@dataclass(frozen=True)
class Outbreak:
    municipality: int
    subtopic: int
    start: int  # hour index
    ratio: float  # the extra as a multiple of the series' usual (1.0 doubles it)
    usual: float  # the municipality × topic series' signals per day where it starts


@dataclass
class History:
    start: datetime  # UTC, local midnight of the first day
    cells: np.ndarray  # municipality × subtopic × hour counts (int32)
    rates: np.ndarray  # the true municipality × topic rates per day, per day: (M, T, days)


def simulate(region: Region, *, seed: int, per_day: float, days: int, start: date) -> History:
    rng = np.random.default_rng(seed)
    m_count, s_count = len(region.municipalities), len(region.subtopics)
    t_count = len(region.topics)
    shares = hour_shares()
    feasts = holidays.country_holidays("RU", years=range(start.year, start.year + 3))
    cells = np.zeros((m_count, s_count, days * 24), dtype=np.int32)
    rates = np.zeros((m_count, t_count, days))
    topic_of = np.asarray([topic for topic, _season in region.subtopics])
    first = datetime(start.year, start.month, start.day, tzinfo=ZONE).astimezone(UTC)
    # Places differ in what they complain of: a fixed mix per municipality and subtopic.
    taste = rng.gamma(4.0, 0.25, size=(m_count, s_count))
    for day in range(days):
        local = start + timedelta(days=day)
        seasons = np.asarray(
            [topics.SEASONS[season][local.month - 1] if season else 1.0
             for _topic, season in region.subtopics]
        )  # fmt: skip
        mix = seasons / seasons.sum()
        level = per_day * WEEK[local.weekday()] * (0.7 if local in feasts else 1.0)
        level *= rng.gamma(30.0, 1 / 30.0)  # a busy or a quiet day for everyone
        clumps = rng.gamma(6.0, 1 / 6.0, size=(m_count, s_count))  # a burst pipe, a rumour
        mean = level * region.weights[:, None] * mix[None, :] * taste * clumps
        for topic in range(t_count):
            rates[:, topic, day] = (
                per_day * WEEK[local.weekday()] * region.weights
                * (mix[None, :] * taste)[:, topic_of == topic].sum(axis=1)
            )  # fmt: skip
        hourly = mean[:, :, None] * shares[None, None, :]
        cells[:, :, day * 24 : (day + 1) * 24] = rng.poisson(hourly)
    return History(first, cells, rates)


def inject(history: History, region: Region, *, seed: int, begin: int, end: int) -> list[Outbreak]:
    """An outbreak every ~three days, 48 hours long, in one subtopic of one municipality."""
    rng = np.random.default_rng(seed + 1_000_000)
    shares = hour_shares()
    topic_of = np.asarray([topic for topic, _season in region.subtopics])
    made = []
    hour = begin + 24
    while hour + OUTBREAK_HOURS < end:
        start = hour + int(rng.integers(0, 24))
        day = start // 24
        usual = history.rates[:, :, day]
        big = np.argwhere(usual >= 10)
        target = rng.random() < 0.7 and len(big)
        if target:
            municipality, topic = (int(v) for v in big[rng.integers(len(big))])
        else:
            municipality = int(rng.integers(len(region.municipalities)))
            topic = int(rng.integers(len(region.topics)))
        choices = np.flatnonzero(topic_of == topic)
        subtopic = int(rng.choice(choices))
        ratio = 1.0 if target else float(rng.choice([0.5, 1.0, 2.0]))
        base = float(usual[municipality, topic])
        for offset in range(OUTBREAK_HOURS):
            at = start + offset
            local_hour = (at % 24 + 0) % 24
            extra = ratio * base * shares[local_hour]
            history.cells[municipality, subtopic, at] += rng.poisson(extra)
        made.append(Outbreak(municipality, subtopic, start, ratio, base))
        hour += 72
    return made


@dataclass(frozen=True)
class Alert:
    key: tuple[str, int]
    hour: int
    kind: str
    ratio: float


def series_of(history: History, region: Region) -> tuple[list[tuple[str, int]], np.ndarray]:
    """The detector's series: municipality × topic, then region × subtopic (hour counts)."""
    topic_of = np.asarray([topic for topic, _season in region.subtopics])
    by_topic = np.stack(
        [history.cells[:, topic_of == topic, :].sum(axis=1) for topic in range(len(region.topics))],
        axis=1,
    )  # M × T × hours
    m_count, t_count = by_topic.shape[:2]
    keys = [("mt", m * t_count + t) for m in range(m_count) for t in range(t_count)]
    keys += [("rs", s) for s in range(len(region.subtopics))]
    counts = np.concatenate(
        [by_topic.reshape(m_count * t_count, -1), history.cells.sum(axis=0)], axis=0
    )
    return keys, counts


def run_detector(history: History, region: Region, *, begin: int, end: int) -> list[Alert]:
    """The beat's runs, one an hour: each local day's model made once, as the service does."""
    keys, counts = series_of(history, region)
    t_count = len(region.topics)
    m_count = len(region.municipalities)
    topic_of = np.asarray([topic for topic, _season in region.subtopics])
    groups = [key[1] % t_count if key[0] == "mt" else int(topic_of[key[1]]) for key in keys]
    proportional = [key[0] == "mt" for key in keys]
    daily = counts.reshape(len(keys), -1, 24).sum(axis=2)  # local days (history starts at 0:00)
    start_day = history.start.astimezone(ZONE).date()
    weekdays = [(start_day + timedelta(days=day)).weekday() for day in range(daily.shape[1])]
    is_mt = np.asarray(proportional)
    covered = {
        ("rs", s): [("mt", m * t_count + int(topic_of[s])) for m in range(m_count)]
        for s in range(len(region.subtopics))
    }
    running: dict[tuple[str, int], datetime] = {}
    alerts: list[Alert] = []
    models: dict[int, detect.DayModel] = {}
    for hour in range(begin, end):
        day = hour // 24
        if day not in models:
            span = slice(day - detect.HISTORY_DAYS, day)
            hour_totals = (
                counts[is_mt, (day - 28) * 24 : day * 24].reshape(-1, 28, 24).sum(axis=(0, 1))
            )
            past = slice(day - 364 - detect.HISTORY_DAYS, day - 364)
            models[day] = detect.day_model(
                daily[:, span], weekdays[span] + [weekdays[day]], hour_totals,
                groups=groups, parts=proportional,
                year_ago=daily[:, past] if past.start >= 0 else None,
            )  # fmt: skip
        window = range(hour - detect.RECENT_HOURS + 1, hour + 1)
        findings = detect.run(
            models[day], counts[:, hour - detect.RECENT_HOURS + 1 : hour + 1],
            local_hours=[h % 24 for h in window], weekdays=[weekdays[h // 24] for h in window],
        )  # fmt: skip
        now = history.start + timedelta(hours=hour + 1)
        result = detect.episodes(findings, keys=keys, running=running, now=now,
                                 covered_by=lambda key: covered.get(key, ()))  # fmt: skip
        for finding in result.new:
            alerts.append(Alert(keys[finding.series], hour + 1, finding.kind, finding.ratio))
            running[keys[finding.series]] = now
        for finding in result.seen:
            running[keys[finding.series]] = now
        for key in result.ended:
            running.pop(key, None)
    return alerts


def matches(alert: Alert, outbreak: Outbreak, t_count: int, topic_of: np.ndarray) -> bool:
    if not outbreak.start <= alert.hour <= outbreak.start + OUTBREAK_HOURS:
        return False
    if alert.key[0] == "mt":
        return alert.key[1] == outbreak.municipality * t_count + int(topic_of[outbreak.subtopic])
    return alert.key[1] == outbreak.subtopic


def evaluate(seed: int, *, per_day: float, weeks: int) -> dict[str, object]:
    region = demo_region()
    warm = 364 + detect.HISTORY_DAYS  # days before the measured ones: a year and the baselines
    days = warm + weeks * 7
    begin, end = warm * 24, days * 24
    history = simulate(region, seed=seed, per_day=per_day, days=days, start=date(2024, 8, 5))
    started = time.monotonic()
    clean = run_detector(history, region, begin=begin, end=end)
    outbreaks = inject(history, region, seed=seed, begin=begin, end=end)
    alerts = run_detector(history, region, begin=begin, end=end)
    elapsed = time.monotonic() - started
    t_count = len(region.topics)
    topic_of = np.asarray([topic for topic, _season in region.subtopics])
    found: dict[int, int] = {}
    false_alerts = 0
    false_kinds = Counter(alert.kind for alert in clean)
    for alert in alerts:
        hit = [i for i, o in enumerate(outbreaks) if matches(alert, o, t_count, topic_of)]
        if not hit:
            false_alerts += 1
        for index in hit:
            found.setdefault(index, alert.hour - outbreaks[index].start)
    return {
        "seed": seed, "outbreaks": outbreaks, "found": found, "clean_false": len(clean), "kinds": false_kinds,
        "false": false_alerts, "weeks": weeks, "seconds": elapsed,
        "checks": 2 * (end - begin),
    }  # fmt: skip


def stratum(outbreak: Outbreak) -> str:
    size = "≥10/day" if outbreak.usual >= 10 else "<10/day"
    return f"{1 + outbreak.ratio:.1f}× of {size}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tune", action="store_true", help="run the tuning seeds")
    parser.add_argument("--per-day", type=float, default=1500.0)
    parser.add_argument("--weeks", type=int, default=26)
    args = parser.parse_args()
    seeds = TUNING if args.tune else HELD_OUT
    print(f"Early warning: {len(seeds)} {'tuning' if args.tune else 'held-out'} histories, "
          f"{args.per_day:.0f} signals/day, {args.weeks} weeks each, hourly checks")  # fmt: skip
    results = [evaluate(seed, per_day=args.per_day, weeks=args.weeks) for seed in seeds]
    by_stratum: dict[str, list[int | None]] = defaultdict(list)
    for result in results:
        for index, outbreak in enumerate(result["outbreaks"]):  # type: ignore[arg-type]
            by_stratum[stratum(outbreak)].append(result["found"].get(index))  # type: ignore[attr-defined]
    print(f"{'outbreak':<18}{'count':>7}{'recall':>9}{'median h':>10}{'p90 h':>8}{'≤2 h':>7}")
    for name in sorted(by_stratum):
        delays = by_stratum[name]
        hits = sorted(d for d in delays if d is not None)
        median = statistics.median(hits) if hits else math.nan
        p90 = hits[max(0, math.ceil(0.9 * len(hits)) - 1)] if hits else math.nan  # nearest rank
        quick = sum(1 for d in hits if d <= 2) / len(delays)
        print(f"{name:<18}{len(delays):>7}{len(hits) / len(delays):>9.2f}{median:>10.0f}"
              f"{p90:>8.0f}{quick:>7.2f}")  # fmt: skip
    region_weeks = sum(r["weeks"] for r in results)  # type: ignore[misc]
    clean = sum(r["clean_false"] for r in results)  # type: ignore[misc]
    noisy = sum(r["false"] for r in results)  # type: ignore[misc]
    print(f"false alerts per region-week: {clean / region_weeks:.2f} without outbreaks, "
          f"{noisy / region_weeks:.2f} beside them ({region_weeks} region-weeks)")  # fmt: skip
    kinds: Counter[str] = sum((r["kinds"] for r in results), Counter())  # type: ignore[arg-type]
    print("  of which bursts {burst}, level shifts {level}".format(
        burst=kinds["burst"], level=kinds["level"]))  # fmt: skip
    seconds = sum(r["seconds"] for r in results)  # type: ignore[misc]
    checks = sum(r["checks"] for r in results)  # type: ignore[misc]
    print(f"detector: {1000 * seconds / checks:.1f} ms per region and run "
          f"({len(series_of_sizes())} series)")  # fmt: skip


def series_of_sizes() -> list[int]:
    region = demo_region()
    return [0] * (len(region.municipalities) * len(region.topics) + len(region.subtopics))


if __name__ == "__main__":
    main()
