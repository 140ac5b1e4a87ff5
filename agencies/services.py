"""Writes of the agencies app."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta

import holidays
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import ApiToken, CalendarDay, Region, User, WorkCalendar, WorkingPeriod

logger = logging.getLogger(__name__)

# Non-working public holidays of Labour Code art. 112 (month, day). A day the `holidays`
# package lists that is not one of these is a transferred or substitute day off.
ART_112_HOLIDAYS = frozenset(
    [(1, d) for d in range(1, 9)] + [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)]
)
PRE_HOLIDAY_SHORTENING_MINUTES = 60  # art. 95

# The five-day week of a regional body: Mon–Thu 09:00–18:00, Fri 09:00–16:45, lunch 13:00–13:48.
DEFAULT_WEEK = {
    **{
        weekday: [(time(9, 0), time(13, 0)), (time(13, 48), time(18, 0))] for weekday in range(0, 4)
    },
    4: [(time(9, 0), time(13, 0)), (time(13, 48), time(16, 45))],
}


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    deleted: int
    kept_manual: int


def production_calendar(year: int) -> dict[date, tuple[str, str, int]]:
    """The Russian production calendar of one year: date → (kind, name, shortened minutes)."""
    listed = holidays.country_holidays("RU", years=[year, year + 1], language="ru")
    days: dict[date, tuple[str, str, int]] = {}
    for day, name in listed.items():
        if day.year != year:
            continue
        kind = (
            CalendarDay.Kind.HOLIDAY
            if (day.month, day.day) in ART_112_HOLIDAYS
            else CalendarDay.Kind.DAY_OFF
        )
        days[day] = (kind, name, 0)
    for day in sorted(getattr(listed, "weekend_workdays", ())):
        if day.year == year:
            days[day] = (CalendarDay.Kind.WORKING, "Рабочий день (перенос выходного)", 0)
    # Art. 95: the working day right before a non-working public holiday is an hour shorter.
    start = date(year, 1, 1)
    for offset in range((date(year + 1, 1, 1) - start).days):
        day = start + timedelta(days=offset)
        following = day + timedelta(days=1)
        is_holiday_next = (
            following.month,
            following.day,
        ) in ART_112_HOLIDAYS and following in listed
        if not is_holiday_next:
            continue
        listed_kind = days[day][0] if day in days else None
        working = listed_kind == CalendarDay.Kind.WORKING or (
            listed_kind is None and day.weekday() < 5
        )
        if working:
            days[day] = (
                CalendarDay.Kind.SHORTENED,
                "Предпраздничный день",
                PRE_HOLIDAY_SHORTENING_MINUTES,
            )
    return days


@transaction.atomic
def calendar_sync(*, calendar: WorkCalendar, year: int) -> SyncResult:
    """Fill one calendar's exceptions for a year from the production calendar.

    Idempotent: synced rows are created, updated or removed to match; rows entered by hand
    (origin "manual") are never touched, and a synced row never replaces one.
    """
    wanted = production_calendar(year)
    existing = {
        row.date: row
        for row in CalendarDay.objects.select_for_update().filter(
            calendar=calendar, date__year=year
        )
    }
    created: list[CalendarDay] = []
    changed: list[CalendarDay] = []
    kept_manual = 0
    for day, (kind, name, minutes) in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            created.append(
                CalendarDay(
                    calendar=calendar,
                    date=day,
                    kind=kind,
                    name=name[:200],
                    shortened_by_minutes=minutes,
                    origin=CalendarDay.Origin.SYNC,
                )
            )
        elif row.origin == CalendarDay.Origin.MANUAL:
            kept_manual += 1
        elif (row.kind, row.name, row.shortened_by_minutes) != (kind, name[:200], minutes):
            row.kind, row.name, row.shortened_by_minutes = kind, name[:200], minutes
            changed.append(row)
    stale = [
        row.pk
        for day, row in existing.items()
        if row.origin == CalendarDay.Origin.SYNC and day not in wanted
    ]
    CalendarDay.objects.bulk_create(created)
    CalendarDay.objects.bulk_update(changed, ["kind", "name", "shortened_by_minutes"])
    deleted, _ = CalendarDay.objects.filter(pk__in=stale).delete()
    logger.info(
        "calendar_synced calendar_id=%s year=%s created=%s updated=%s deleted=%s manual=%s",
        calendar.pk, year, len(created), len(changed), deleted, kept_manual,
    )  # fmt: skip
    return SyncResult(len(created), len(changed), deleted, kept_manual)


@transaction.atomic
def calendar_default_for_region(*, region: Region) -> WorkCalendar:
    """Return the region's default calendar, creating it with the standard week if missing."""
    calendar = WorkCalendar.objects.filter(region=region, is_default=True).first()
    if calendar is not None:
        return calendar
    calendar = WorkCalendar.objects.create(
        region=region, name=f"Производственный календарь ({region.code})", is_default=True
    )
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=weekday, start=start, end=end)
        for weekday, periods in DEFAULT_WEEK.items()
        for start, end in periods
    )
    return calendar


def working_days_count(*, calendar: WorkCalendar, year: int) -> int:
    """Working days of a year under the calendar's week and its exceptions."""
    weekdays = set(calendar.periods.values_list("weekday", flat=True))
    exceptions = dict(calendar.days.filter(date__year=year).values_list("date", "kind"))
    count = 0
    day = date(year, 1, 1)
    while day.year == year:
        kind = exceptions.get(day)
        if kind in (CalendarDay.Kind.WORKING, CalendarDay.Kind.SHORTENED) or (
            kind is None and day.weekday() in weekdays
        ):
            count += 1
        day += timedelta(days=1)
    return count


# --- personal API tokens -------------------------------------------------------------------

TOKEN_MAX_DAYS = 366


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it with the raw value, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the token (where it is used).")})
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("A token lives from 1 to %(days)d days.") % {"days": TOKEN_MAX_DAYS}}
        )
    prefix = secrets.token_hex(4)
    raw = f"cur_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=_token_digest(raw),
        expires_at=timezone.now() + timedelta(days=days),
    )  # fmt: skip
    logger.info("api_token_created token_id=%s user_id=%s", token.pk, user.pk)
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token of the actor's own (administrators may revoke anyone's)."""
    if token.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("api_token_revoked token_id=%s actor_id=%s", token.pk, actor.pk)
    return token


def api_token_check(raw: str) -> ApiToken | None:
    """The live token with this raw value, or None (unknown, wrong, expired or revoked)."""
    parts = raw.split("_", 2)  # the secret itself may hold "_"
    if len(parts) != 3 or parts[0] != "cur":
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _token_digest(raw)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        # At most one write a minute per token, not one per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_queue_layout_save(*, user: User, columns: list[str], density: str) -> None:
    """Keep how the user arranged the queue: its columns (already cleaned by the caller: known
    keys, in order) and its density."""
    user.queue_columns = columns
    user.queue_density = density if density in ("comfortable", "compact") else "comfortable"
    user.save(update_fields=["queue_columns", "queue_density"])
