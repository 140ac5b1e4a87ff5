"""Early warning, the arithmetic (floor 2, pure: arrays in, findings out; no database).

Outbreak surveillance's recipe (Farrington et al. 1996, Noufaily et al. 2013), cut to what a
control centre's series are — counts of complaints per municipality × topic and per region ×
subtopic, every day, a few to a few hundred:

- **The baseline** of a series is its level over the last `BASELINE_DAYS` days, shaped by the
  region's day of the week and the hour of the day, and moved along its topic's trend (the
  heating season rises by half in a fortnight; a baseline that only looks back would call
  every October an outbreak). The week and the trend are a quasi-Poisson GLM of the region's
  (and the topic's) daily counts (statsmodels): the big series estimate the shape, each small
  series only its own level. Days far above their baseline (an earlier outbreak) are left out
  of the level, as Farrington reweights them, so one spike does not hide the next.
- **A burst** is the count of the last 3, 6, 12 or 24 hours beyond what the baseline allows
  at a false-alarm probability of `ALPHA` per window (a negative binomial with the series'
  overdispersion: complaints come in clumps, a Poisson bound would cry wolf every day), at
  least `MIN_COUNT` signals and `MIN_RATIO` times the usual.
- **A level shift** is a change point in the daily counts: a one-sided CUSUM of the last
  `LEVEL_DAYS` days' standardised excess over a baseline taken before them, for the rise too
  slow for any one day to stand out.

The detector says what it sees each time it runs; `episodes` turns the runs into alerts —
one per spike, however many runs see it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from scipy import stats

BASELINE_DAYS = 28
WINDOWS = (3, 6, 12, 24, 48)  # hours
RECENT_HOURS = max(WINDOWS)
ALPHA = 1e-7  # per window and run; set on the tuning histories only (README, "Early warning")
MIN_COUNT = 8
MIN_RATIO = 1.5
TREND_P = 0.05  # a topic's trend moves the baseline only when it is real
TREND_CAP = 2.0  # … and by at most this factor either way
LEVEL_DAYS = 14
LEVEL_GUARD = 14  # the level detector's baseline ends this many days before today
CUSUM_K = 0.5
CUSUM_H = 20.0
LEVEL_MIN_RATIO = 1.5
LEVEL_MIN_DAILY = 5.0  # signals a day: a smaller series has no season of its own to go by
SEASON_CAP = 4.0
QUIET = timedelta(hours=24)  # a spike is over when the series was quiet this long
OUTLIER_Z = 2.58

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Baseline:
    """Per series: the signals of an average day today (the week's shape applied later) and
    the overdispersion (variance / mean, at least 1)."""

    level: Floats
    dispersion: Floats


@dataclass(frozen=True)
class Finding:
    """What one run sees in one series: a burst or a level shift."""

    series: int
    kind: str  # "burst" | "level"
    observed: int
    expected: float
    p_value: float
    hours: int  # how far back the excess goes (the window, or the shift's days × 24)

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float("inf")


def _glm(counts: Floats, columns: list[Floats], offset: Floats | None = None):  # type: ignore[no-untyped-def]
    import statsmodels.api as sm

    design = np.column_stack([np.ones(len(counts)), *columns])
    model = sm.GLM(counts, design, family=sm.families.Poisson(), offset=offset)
    # A series that fits perfectly (every day alike) or not at all warns and gives NaN: the
    # callers check that the result is finite and fall back to no shape, no trend.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return model.fit(scale="X2")  # quasi-Poisson: the Pearson χ² estimates the dispersion


def week_shape(totals: Floats, weekdays: Sequence[int]) -> Floats:
    """The region's day-of-week factors (mean 1) from its daily totals (a Poisson GLM with a
    trend, so a rising month does not read as busy Mondays). Flat when there is too little."""
    counts = np.asarray(totals, dtype=float)
    days = np.asarray(weekdays)
    if len(counts) < 14 or counts.sum() < 70 or len(set(days.tolist())) < 7:
        return np.ones(7)
    time = np.arange(len(counts), dtype=float) - len(counts) + 1
    dummies = [(days == day).astype(float) for day in range(1, 7)]
    try:
        fit = _glm(counts, [time, *dummies])
    except (ValueError, np.linalg.LinAlgError):
        return np.ones(7)
    factors = np.exp(np.concatenate([[0.0], fit.params[2:]]))
    if not np.all(np.isfinite(factors)):
        return np.ones(7)
    return factors / factors.mean()


def day_shape(hour_totals: Floats) -> Floats:
    """The share of a day's signals in each local hour (sums to 1), a little smoothed towards
    flat so a quiet night hour is never expected to be empty."""
    counts = np.asarray(hour_totals, dtype=float)
    if counts.sum() < 240:
        return np.full(24, 1 / 24)
    shares = counts / counts.sum()
    return 0.95 * shares + 0.05 / 24


def topic_trend(totals: Floats, weekdays: Sequence[int], week: Floats, ahead: float) -> float:
    """The factor a topic's trend moves its baseline by, from the middle of the baseline days
    to `ahead` days after the last one: 1 unless the trend is significant; capped."""
    counts = np.asarray(totals, dtype=float)
    if len(counts) < 14 or counts.sum() < 50:
        return 1.0
    time = np.arange(len(counts), dtype=float) - (len(counts) - 1) / 2
    offset = np.log(np.asarray([week[day] for day in weekdays], dtype=float))
    try:
        fit = _glm(counts, [time], offset=offset)
    except (ValueError, np.linalg.LinAlgError):
        return 1.0
    slope, p_value = float(fit.params[1]), float(fit.pvalues[1])
    if not np.isfinite(slope) or not np.isfinite(p_value) or p_value >= TREND_P:
        return 1.0
    factor = float(np.exp(slope * ((len(counts) - 1) / 2 + ahead)))
    return float(np.clip(factor, 1 / TREND_CAP, TREND_CAP))


def baselines(days: Floats, weekdays: Sequence[int], week: Floats, trend: Floats) -> Baseline:
    """Each series' level from its daily counts (series × days, oldest first) with the week's
    factors as exposure; days far above the first fit are dropped and the level refitted."""
    counts = np.asarray(days, dtype=float)
    exposure = np.asarray([week[day] for day in weekdays], dtype=float)[None, :]
    exposure = np.broadcast_to(exposure, counts.shape)
    keep = np.ones(counts.shape, dtype=bool)
    level = dispersion = np.zeros(len(counts))
    for _ in range(2):
        weight = np.where(keep, exposure, 0.0).sum(axis=1)
        level = np.where(keep, counts, 0.0).sum(axis=1) / np.maximum(weight, 1e-9)
        mean = level[:, None] * exposure
        pearson = np.where(keep & (mean > 0), (counts - mean) ** 2 / np.maximum(mean, 1e-9), 0)
        free = np.maximum(keep.sum(axis=1) - 1, 1)
        dispersion = np.clip(pearson.sum(axis=1) / free, 1.0, 10.0)
        z = (counts - mean) / np.sqrt(np.maximum(dispersion[:, None] * mean, 1e-9))
        keep = z <= OUTLIER_Z
    # Twenty-eight days say little of one small series' clumping: none is taken to clump less
    # than the typical series of the region does.
    sizable = dispersion[level >= 1.0]
    typical = float(np.median(sizable)) if len(sizable) >= 5 else 1.0
    dispersion = np.maximum(dispersion, typical)
    return Baseline(level=level * np.asarray(trend, dtype=float), dispersion=dispersion)


def upper_tail(observed: Floats, expected: Floats, dispersion: Floats) -> Floats:
    """P(X ≥ observed) for counts with this mean and variance = dispersion × mean."""
    observed = np.asarray(observed, dtype=float)
    expected = np.maximum(np.asarray(expected, dtype=float), 1e-6)
    dispersion = np.asarray(dispersion, dtype=float)
    poisson = stats.poisson.sf(observed - 1, expected)
    over = dispersion > 1.0001
    size = expected / np.maximum(dispersion - 1, 1e-9)
    negative = stats.nbinom.sf(observed - 1, size, 1 / np.maximum(dispersion, 1.0001))
    return np.where(over, negative, poisson)


def bursts(hours: Floats, expected: Floats, dispersion: Floats) -> list[Finding]:
    """Bursts in the last hours (series × hours, the newest last; `expected` alike, its last
    hour already cut to the part of it that has passed)."""
    counts = np.asarray(hours, dtype=float)
    means = np.asarray(expected, dtype=float)
    best: dict[int, Finding] = {}
    for window in WINDOWS:
        if window > counts.shape[1]:
            break
        observed = counts[:, -window:].sum(axis=1)
        mean = means[:, -window:].sum(axis=1)
        p_values = upper_tail(observed, mean, dispersion)
        flagged = (p_values < ALPHA) & (observed >= MIN_COUNT) & (observed >= MIN_RATIO * mean)
        for index in np.flatnonzero(flagged).tolist():
            finding = Finding(index, "burst", int(observed[index]), float(mean[index]),
                              float(p_values[index]), window)  # fmt: skip
            if index not in best or finding.p_value < best[index].p_value:
                best[index] = finding
    return [best[index] for index in sorted(best)]


def level_shifts(days: Floats, expected: Floats, dispersion: Floats) -> list[Finding]:
    """Level shifts over the last days (series × days, the newest last; expected from a
    baseline taken before them, infinite for a series not watched): a one-sided CUSUM of the
    standardised excess."""
    counts = np.asarray(days, dtype=float)
    watched = np.all(np.isfinite(expected), axis=1)
    means = np.where(watched[:, None], np.maximum(np.asarray(expected, dtype=float), 1e-6), 1.0)
    z = (counts - means) / np.sqrt(np.asarray(dispersion, dtype=float)[:, None] * means)
    z[~watched] = -1.0
    cusum = np.zeros(len(counts))
    start = np.zeros(len(counts), dtype=int)
    for day in range(counts.shape[1]):
        restart = cusum <= 0
        start = np.where(restart, day, start)
        cusum = np.maximum(0.0, cusum + z[:, day] - CUSUM_K)
    found = []
    for index in np.flatnonzero(cusum >= CUSUM_H).tolist():
        span = slice(int(start[index]), counts.shape[1])
        observed, mean = counts[index, span].sum(), means[index, span].sum()
        if observed < MIN_COUNT or observed < LEVEL_MIN_RATIO * mean:
            continue
        p_value = float(upper_tail(np.array([observed]), np.array([mean]),
                                   np.array([dispersion[index]]))[0])  # fmt: skip
        found.append(Finding(index, "level", int(observed), float(mean), p_value,
                             (counts.shape[1] - int(start[index])) * 24))  # fmt: skip
    return found


HISTORY_DAYS = LEVEL_GUARD + BASELINE_DAYS  # the complete days a day's model reads


@dataclass(frozen=True)
class DayModel:
    """What a local day's runs compare with, made once a day per region."""

    baseline: Baseline
    week: Floats  # day-of-week factors, Monday first
    hours: Floats  # share of a day per local hour
    level_days: Floats  # series × LEVEL_DAYS: the last complete days' counts
    level_expected: Floats  # … and what the level detector expected of them


def day_model(
    daily: Floats,
    weekdays: Sequence[int],
    hour_totals: Floats,
    *,
    groups: Sequence[int],
    parts: Sequence[bool],
    year_ago: Floats | None = None,
) -> DayModel:
    """A day's model from the `HISTORY_DAYS` complete days before it (series × days, oldest
    first; `weekdays` one per day and then today's). `groups`: each series' topic (or
    subtopic), whose trend it follows with the others of its kind; `parts`: the series that
    together make the region's whole (municipality × topic; the others are its views by
    subtopic). `year_ago`: the same series' `HISTORY_DAYS` days 52 weeks earlier, if the
    counts go back that far."""
    counts = np.asarray(daily, dtype=float)
    if counts.shape[1] < HISTORY_DAYS:
        pad = np.zeros((len(counts), HISTORY_DAYS - counts.shape[1]))
        counts = np.concatenate([pad, counts], axis=1)
    week_days = list(weekdays)[:-1][-HISTORY_DAYS:]
    week_days = [0] * (HISTORY_DAYS - len(week_days)) + week_days
    group = np.asarray(groups)
    share = np.asarray(parts, dtype=bool)
    recent = slice(HISTORY_DAYS - BASELINE_DAYS, HISTORY_DAYS)
    region = counts[share].sum(axis=0) if share.any() else counts.sum(axis=0)
    week = week_shape(region[recent], week_days[recent])
    trend = np.ones(len(counts))
    for value in np.unique(group).tolist():
        for part in (True, False):
            members = (group == value) & (share == part)
            if not members.any():
                continue
            total = counts[members].sum(axis=0)
            trend[members] = topic_trend(total[recent], week_days[recent], week, ahead=0.5)
    baseline = baselines(counts[:, recent], week_days[recent], week, trend)
    # The level detector: its last LEVEL_DAYS against a baseline that ends LEVEL_GUARD days
    # before today (a shift under way is not in its own yardstick), moved by what the same
    # weeks did a year ago (a municipality's heating season is its own). Without a year of
    # history, or for a series too small to have a season of its own, it does not watch.
    last = slice(HISTORY_DAYS - LEVEL_DAYS, HISTORY_DAYS)
    before = slice(0, BASELINE_DAYS)
    level_days = counts[:, last]
    own = baselines(counts[:, before], week_days[before], week, np.ones(len(counts))).level
    moved = np.asarray([week[day] for day in week_days[last]])[None, :]
    expected = np.full(level_days.shape, np.inf)
    if year_ago is not None:
        past = np.asarray(year_ago, dtype=float)
        then_before = past[:, before].sum(axis=1) / BASELINE_DAYS
        then_last = past[:, last].sum(axis=1) / LEVEL_DAYS
        season = np.clip((then_last + 1) / (then_before + 1), 1 / SEASON_CAP, SEASON_CAP)
        watched = (own >= LEVEL_MIN_DAILY) & (then_before * BASELINE_DAYS >= LEVEL_MIN_DAILY)
        expected[watched] = ((own * season)[:, None] * moved)[watched]
    return DayModel(baseline, week, day_shape(hour_totals), level_days, expected)


def run(
    model: DayModel,
    hours: Floats,
    *,
    local_hours: Sequence[int],
    weekdays: Sequence[int],
    fraction: float = 1.0,
) -> list[Finding]:
    """What one run sees: the last `RECENT_HOURS` hours' counts (series × hours, the newest
    last, which has run for `fraction` of its hour), with their local hours and weekdays; bursts first, then
    level shifts, each by series."""
    factors = np.asarray(
        [model.week[day] * model.hours[hour] for day, hour in zip(weekdays, local_hours,
                                                                   strict=True)]
    )  # fmt: skip
    factors[-1] *= fraction
    expected = model.baseline.level[:, None] * factors[None, :]
    found = bursts(hours, expected, model.baseline.dispersion)
    found += level_shifts(model.level_days, model.level_expected, model.baseline.dispersion)
    return sorted(found, key=lambda finding: finding.series)


@dataclass(frozen=True)
class Episodes:
    """What a run does to the alerts: open these series, mark these seen, end these."""

    new: list[Finding]
    seen: list[Finding]
    ended: list[Hashable]


def episodes(
    findings: Iterable[Finding],
    *,
    keys: Sequence[Hashable],
    running: dict[Hashable, datetime],
    now: datetime,
    covered_by: Callable[[Hashable], Iterable[Hashable]] = lambda key: (),
) -> Episodes:
    """One alert per spike. `running`: series key → when its unended alert was last seen. A
    finding in a running series is the same spike, seen again; in any other it is a new one,
    unless a series in `covered_by(key)` is running or starts in this run (a region ×
    subtopic spike already alerted from the municipality it is in: findings are taken in
    their order, the municipalities' first). A running series not seen for `QUIET` ended."""
    new, seen = [], []
    live = set(running)
    touched: set[Hashable] = set()
    for finding in findings:
        key = keys[finding.series]
        if key in touched:
            continue  # a burst and a level shift of one series in one run: one spike
        touched.add(key)
        if key in live:
            seen.append(finding)
        elif not any(other in live for other in covered_by(key)):
            new.append(finding)
            live.add(key)
    ended = [key for key, last in running.items() if key not in touched and now - last >= QUIET]
    return Episodes(new=new, seen=seen, ended=ended)
