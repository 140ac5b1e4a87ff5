"""Early warning, the service (floor 4): the detector's runs over the counts, the alerts they
open, keep and end, and the analysts' decisions on them.

A run (`alerts_detect`, beat every `RUN_EVERY`) reads the region's counts only — the day
counts of the baseline days (and of the same days a year ago), the hour counts of the last two
days — never the signal table. A local day's model is made by its first run and kept in the
cache for the day's others. One region's runs are serialised by an advisory lock, and the
database holds the rule of one running alert per series, so two workers never open the same
spike twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from agencies.models import Municipality, Region, Role, User
from signals_app.access import region_analyst_required
from signals_app.analytics import detect
from signals_app.analytics.models import Alert, DayCount, HourCount
from signals_app.choices import OPEN_STATUSES
from signals_app.errors import InvalidInput
from signals_app.models import Category, MassIncidentProposal, Signal
from signals_app.sla.models import Notification

logger = logging.getLogger(__name__)

RUN_EVERY = timedelta(minutes=15)
MODEL_TTL = 26 * 3600
PROPOSAL_LIMIT = 200  # signals an alert proposes as a mass incident
_LOCK_NAMESPACE = 7419  # pg_advisory_xact_lock(namespace, region id)

Key = tuple[int | None, int, int | None]  # (municipality, topic, subtopic)


@dataclass(frozen=True)
class Layout:
    """The region's series, municipalities' topics first (`episodes` reads them first)."""

    keys: list[Key]
    groups: list[int]
    parts: list[bool]

    @property
    def digest(self) -> str:
        return hashlib.sha1(repr(self.keys).encode(), usedforsecurity=False).hexdigest()[:12]

    def covered_by(self, key: Hashable) -> list[Key]:
        """A region × subtopic series is covered by its topic's municipality series."""
        if not isinstance(key, tuple) or key[0] is not None:
            return []
        return [other for other in self.keys if other[0] is not None and other[1] == key[1]]


def layout_of(region: Region) -> Layout:
    topics = dict(
        Category.objects.filter(region=region, level=1).order_by("pk").values_list("pk", "name")
    )
    subtopics = list(
        Category.objects.filter(region=region, level=2, parent__in=list(topics))
        .order_by("pk").values_list("pk", "parent_id")
    )  # fmt: skip
    municipalities = list(
        Municipality.objects.filter(region=region).order_by("pk").values_list("pk", flat=True)
    )
    keys: list[Key] = [(m, t, None) for m in municipalities for t in topics]
    groups = [t for _m, t, _s in keys]
    keys += [(None, parent, pk) for pk, parent in subtopics]
    groups += [pk for pk, _parent in subtopics]
    parts = [key[0] is not None for key in keys]
    return Layout(keys, groups, parts)


def _zone(region: Region) -> ZoneInfo:
    return ZoneInfo(region.time_zone)


def _daily(region: Region, layout: Layout, first: date, days: int) -> np.ndarray:
    """Series × days of day counts from `first` (two grouped reads of the day counts)."""
    index = {key: row for row, key in enumerate(layout.keys)}
    out = np.zeros((len(layout.keys), days))
    rows = DayCount.objects.filter(region=region, day__gte=first,
                                   day__lt=first + timedelta(days=days))  # fmt: skip
    for municipality, topic, day, count in (
        rows.filter(municipality__isnull=False, topic__isnull=False)
        .values_list("municipality_id", "topic_id", "day").annotate(total=Sum("count"))
    ):  # fmt: skip
        row = index.get((municipality, topic, None))
        if row is not None:
            out[row, (day - first).days] += count
    for topic, subtopic, day, count in (
        rows.filter(subtopic__isnull=False)
        .values_list("topic_id", "subtopic_id", "day").annotate(total=Sum("count"))
    ):  # fmt: skip
        row = index.get((None, topic, subtopic))
        if row is not None:
            out[row, (day - first).days] += count
    return out


def _hourly(region: Region, layout: Layout, first: datetime, hours: int) -> np.ndarray:
    """Series × hours of hour counts from the UTC hour `first`."""
    index = {key: row for row, key in enumerate(layout.keys)}
    out = np.zeros((len(layout.keys), hours))
    rows = HourCount.objects.filter(region=region, hour__gte=first,
                                    hour__lt=first + timedelta(hours=hours))  # fmt: skip
    for municipality, topic, subtopic, hour, count in rows.values_list(
        "municipality_id", "topic_id", "subtopic_id", "hour", "count"
    ):
        column = int((hour - first).total_seconds() // 3600)
        if municipality is not None and topic is not None:
            row = index.get((municipality, topic, None))
            if row is not None:
                out[row, column] += count
        if subtopic is not None:
            row = index.get((None, topic, subtopic))
            if row is not None:
                out[row, column] += count
    return out


def _hour_totals(region: Region, today_start: datetime) -> np.ndarray:
    """The region's signals per local hour over the baseline days."""
    totals = np.zeros(24)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT extract(hour FROM hour AT TIME ZONE %s)::int, sum(count)
            FROM {HourCount._meta.db_table}
            WHERE region_id = %s AND hour >= %s AND hour < %s
            GROUP BY 1
            """,  # noqa: S608 - a model's table
            [region.time_zone, region.pk,
             today_start - timedelta(days=detect.BASELINE_DAYS), today_start],
        )  # fmt: skip
        for hour, count in cursor.fetchall():
            totals[hour] = count
    return totals


def day_model_for(region: Region, layout: Layout, today: date) -> detect.DayModel:
    """The local day's model: from the cache, or made from the counts (and cached)."""
    key = f"analytics:model:{region.pk}:{today.isoformat()}:{layout.digest}"
    found = cache.get(key)
    if isinstance(found, detect.DayModel):
        return found
    first = today - timedelta(days=detect.HISTORY_DAYS)
    daily = _daily(region, layout, first, detect.HISTORY_DAYS)
    weekdays = [(first + timedelta(days=d)).weekday() for d in range(detect.HISTORY_DAYS + 1)]
    year_first = first - timedelta(days=364)
    year_ago = _daily(region, layout, year_first, detect.HISTORY_DAYS)
    has_year = DayCount.objects.filter(region=region, day__lte=year_first).exists()
    start = datetime.combine(today, datetime.min.time(), tzinfo=_zone(region))
    model = detect.day_model(
        daily, weekdays, _hour_totals(region, start), groups=layout.groups, parts=layout.parts,
        year_ago=year_ago if has_year else None,
    )  # fmt: skip
    cache.set(key, model, MODEL_TTL)
    return model


@dataclass(frozen=True)
class RunResult:
    opened: int
    seen: int
    ended: int


def alerts_detect(*, region: Region, now: datetime | None = None) -> RunResult:
    """One run over the region's counts: open, keep up to date and end its alerts."""
    now = now or timezone.now()
    zone = _zone(region)
    local_now = now.astimezone(zone)
    layout = layout_of(region)
    if not layout.keys:
        return RunResult(0, 0, 0)
    model = day_model_for(region, layout, local_now.date())
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=detect.RECENT_HOURS - 1)
    hours = _hourly(region, layout, first, detect.RECENT_HOURS)
    moments = [(first + timedelta(hours=h)).astimezone(zone) for h in range(detect.RECENT_HOURS)]
    fraction = max((now - current).total_seconds() / 3600, 1 / 60)
    findings = detect.run(
        model, hours, local_hours=[m.hour for m in moments],
        weekdays=[m.weekday() for m in moments], fraction=fraction,
    )  # fmt: skip
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, region.pk])
        running = {
            (alert.municipality_id, alert.topic_id, alert.subtopic_id): alert
            for alert in Alert.objects.select_for_update().filter(
                region=region, ended_at__isnull=True
            )
        }
        result = detect.episodes(
            findings, keys=layout.keys, running={k: a.seen_at for k, a in running.items()},
            now=now, covered_by=layout.covered_by,
        )  # fmt: skip
        opened = [_open(region, layout.keys[f.series], f, now) for f in result.new]
        for finding in result.seen:
            _keep(running[layout.keys[finding.series]], finding, now)
        if result.ended:
            ended = [alert.pk for key, alert in running.items() if key in set(result.ended)]
            Alert.objects.filter(pk__in=ended).update(ended_at=now)
        if opened:
            _notify(region, opened)
    if opened or result.ended:
        logger.info("alerts_run region=%s opened=%s seen=%s ended=%s", region.code, len(opened),
                    len(result.seen), len(result.ended))  # fmt: skip
    return RunResult(len(opened), len(result.seen), len(result.ended))


def _since(finding: detect.Finding, now: datetime) -> datetime:
    return now - timedelta(hours=finding.hours)


def _open(region: Region, key: Key, finding: detect.Finding, now: datetime) -> Alert:
    municipality, topic, subtopic = key
    return Alert.objects.create(
        region=region, municipality_id=municipality, topic_id=topic, subtopic_id=subtopic,
        kind=finding.kind, observed=finding.observed, expected=finding.expected,
        peak_ratio=finding.ratio, p_value=finding.p_value, since=_since(finding, now),
        detected_at=now, seen_at=now,
    )  # fmt: skip


def _keep(alert: Alert, finding: detect.Finding, now: datetime) -> None:
    alert.observed, alert.expected, alert.p_value = (
        finding.observed,
        finding.expected,
        finding.p_value,
    )
    alert.peak_ratio = max(alert.peak_ratio, finding.ratio)
    alert.since = min(alert.since, _since(finding, now))
    alert.seen_at = now
    alert.save(update_fields=["observed", "expected", "p_value", "peak_ratio", "since", "seen_at"])


def region_analysts(region_id: int) -> list[User]:
    return list(
        User.objects.filter(is_active=True, regions=region_id, groups__name=Role.ANALYST)
        .order_by("pk").distinct()
    )  # fmt: skip


def alert_title(alert: Alert) -> str:
    """«Отопление, Копейск: 3,4 × обычного» — what, where, how much."""
    what = alert.subtopic.name if alert.subtopic is not None else alert.topic.name
    where = alert.municipality.name if alert.municipality is not None else alert.region.name
    return _("%(what)s, %(where)s: %(ratio)s × the usual") % {
        "what": what, "where": where, "ratio": number_format(alert.ratio, 1),
    }  # fmt: skip


def _notify(region: Region, alerts: list[Alert]) -> None:
    """In the app for the region's analysts; the morning digest mails them (so the
    notification is not mailed on its own too)."""
    users = region_analysts(region.pk)
    rows = []
    now = timezone.now()
    for alert in Alert.objects.filter(pk__in=[a.pk for a in alerts]).select_related(
        "region", "municipality", "topic", "subtopic"
    ):
        title = _("Early warning: %(title)s") % {"title": alert_title(alert)}
        for user in users:
            rows.append(Notification(
                user=user, kind="alert", title=title[:300],
                body=reverse("signals_app:alert_detail", args=[alert.pk]), emailed_at=now,
            ))  # fmt: skip
    Notification.objects.bulk_create(rows)


# --- what the pages show -------------------------------------------------------------------


def alert_queue_query(alert: Alert) -> str:
    """The queue's filters that show the alert's signals (its place, topic and days)."""
    zone = ZoneInfo(alert.region.time_zone)
    params: list[tuple[str, str]] = [
        ("category", str(alert.subtopic_id or alert.topic_id)),
        ("received_from", alert.since.astimezone(zone).date().isoformat()),
    ]
    if alert.municipality_id:
        params.append(("municipality", str(alert.municipality_id)))
    return urlencode(params)


def alert_signals(alert: Alert) -> Q:
    """The signals an alert counts (by the signal's own fields, through their indexes)."""
    category = (
        Q(category_id=alert.subtopic_id) if alert.subtopic_id
        else Q(category_id=alert.topic_id) | Q(category__parent_id=alert.topic_id)
    )  # fmt: skip
    where = Q(municipality_id=alert.municipality_id) if alert.municipality_id else Q()
    return Q(region_id=alert.region_id, received_at__gte=alert.since) & category & where


# --- the analysts' decisions ---------------------------------------------------------------


def alert_confirm(*, alert: Alert, actor: User, propose: bool = False) -> Alert:
    """A real spike. With `propose`, its open signals become a mass incident proposal (the
    analyst decides it on the mass incidents' page, as any other)."""
    region_analyst_required(actor, alert.region_id)
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("region", "municipality", "topic", "subtopic")
            .get(pk=alert.pk)
        )
        if locked.state != Alert.State.OPEN:
            raise InvalidInput(_("This warning has been decided already."))
        if propose:
            members = list(
                Signal.objects.filter(alert_signals(locked), status__in=OPEN_STATUSES,
                                      parent__isnull=True, duplicate_of__isnull=True)
                .order_by("received_at", "pk").values_list("pk", flat=True)[:PROPOSAL_LIMIT]
            )  # fmt: skip
            if len(members) < 2:
                raise InvalidInput(_("A mass incident needs at least two open signals."))
            proposal = MassIncidentProposal.objects.create(
                region_id=locked.region_id, title=alert_title(locked)[:300], similarity=0.0
            )
            proposal.signals.set(members)
            locked.proposal = proposal
        locked.state = Alert.State.CONFIRMED
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(update_fields=["state", "proposal", "decided_by", "decided_at"])
    logger.info("alert_confirmed alert_id=%s proposed=%s", locked.pk, bool(locked.proposal_id))
    return locked


def alert_dismiss(*, alert: Alert, actor: User, reason: str, comment: str = "") -> Alert:
    """Not a spike worth acting on. The reason is kept and shown; it changes no threshold
    (the detector's settings change only in its code, measured by its benchmark)."""
    region_analyst_required(actor, alert.region_id)
    if reason not in Alert.Reason.values:
        raise InvalidInput(_("Choose why the warning is dismissed."))
    if reason == Alert.Reason.OTHER and not comment.strip():
        raise InvalidInput(_("Say in the comment why the warning is dismissed."))
    updated = Alert.objects.filter(pk=alert.pk, state=Alert.State.OPEN).update(
        state=Alert.State.DISMISSED, reason=reason, comment=comment.strip()[:2000],
        decided_by=actor, decided_at=timezone.now(),
    )  # fmt: skip
    if not updated:
        raise InvalidInput(_("This warning has been decided already."))
    logger.info("alert_dismissed alert_id=%s reason=%s", alert.pk, reason)
    return Alert.objects.get(pk=alert.pk)


def alerts_detect_all(*, now: datetime | None = None) -> RunResult:
    """Every region's run (the beat's task); one region failing never stops the others."""
    now = now or timezone.now()
    opened = seen = ended = 0
    for region in Region.objects.order_by("pk"):
        try:
            result = alerts_detect(region=region, now=now)
        except Exception:
            logger.exception("alerts_run_failed region=%s", region.code)
            continue
        opened, seen, ended = opened + result.opened, seen + result.seen, ended + result.ended
    return RunResult(opened, seen, ended)


# --- the morning digest --------------------------------------------------------------------

MORNING_HOUR = 8  # local time


def alerts_morning_digest(*, now: datetime | None = None) -> int:
    """At 08:00–08:59 local time, mail each analyst of the region the warnings of the last
    24 hours and those still running; once per region and day (a claim in the cache, given
    back if the mail server refuses: the next run sends again, under the same Message-IDs).
    Runs every 15 minutes. Returns the letters sent."""
    now = now or timezone.now()
    sent = 0
    for region in Region.objects.order_by("pk"):
        local = now.astimezone(_zone(region))
        if local.hour != MORNING_HOUR:
            continue
        claim = f"analytics:digest:{region.pk}:{local.date().isoformat()}"
        if not cache.add(claim, "1", 36 * 3600):
            continue
        alerts = list(
            Alert.objects.filter(region=region)
            .filter(Q(detected_at__gte=now - timedelta(hours=24)) | Q(ended_at__isnull=True))
            .select_related("region", "municipality", "topic", "subtopic")
            .order_by("-peak_ratio", "pk")
        )  # fmt: skip
        if not alerts:
            continue
        subject = _("Early warnings of %(date)s: %(count)d") % {
            "date": local.date().strftime("%d.%m.%Y"), "count": len(alerts),
        }  # fmt: skip
        lines = [
            f"• {alert_title(alert)} — {alert.get_state_display()}\n"
            f"  {settings.SITE_URL}{reverse('signals_app:alert_detail', args=[alert.pk])}"
            for alert in alerts
        ]
        try:
            for user in region_analysts(region.pk):
                if not user.email:
                    continue
                EmailMessage(
                    subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email],
                    headers={
                        "Message-ID": f"<alerts-{region.pk}-{local.date():%Y%m%d}-{user.pk}"
                                      f"@{settings.EMAIL_MESSAGE_DOMAIN}>",
                        "Auto-Submitted": "auto-generated",
                    },
                ).send()  # fmt: skip
                sent += 1
        except Exception as error:
            cache.delete(claim)  # the next run of the hour (every 15 minutes) sends it again
            logger.warning("alerts_digest_failed region=%s error=%s", region.code,
                           type(error).__name__)  # fmt: skip
    return sent
