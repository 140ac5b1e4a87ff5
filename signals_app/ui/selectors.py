"""Reads behind the case-management pages, scoped to what the user may see and may do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership, Role, User
from agencies.selectors import StaffContext, staff_context
from signals_app.models import (
    OPEN_STATUSES,
    AnswerTemplate,
    Attachment,
    Category,
    Note,
    Reply,
    SavedView,
    Signal,
    SignalEvent,
    Status,
)
from signals_app.selectors import signal_visible_to
from signals_app.sla.models import Escalation
from signals_app.ui import formatting
from signals_app.ui.sla_badges import Badge, badges_for
from signals_app.workflow.transitions import ANALYST, COORDINATOR, EXECUTOR, SUPERVISOR

QUEUE_FIELDS = (
    "id",
    "number",
    "received_at",
    "channel",
    "status",
    "priority",
    "region_id",
    "region__time_zone",
    "author_name",
    "category__name",
    "category__parent__name",
    "municipality__name",
    "agency__name",
    "agency__short_name",
    "agency__calendar_id",
    "agency__time_zone",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "next_deadline_at",
    "sla_started_at",
    "sla_paused_at",
    "escalation_level",
    "is_mass_incident",
    "parent_id",
    "reopened_count",
)
HIGHLIGHT_START, HIGHLIGHT_STOP = "\x02", "\x03"


# --- personal data -------------------------------------------------------------------------


def may_see_personal_data(context: StaffContext, signal: Signal) -> bool:
    """The citizen's name and contacts: the region's analysts and the signal's agency staff.

    Supervisors read figures, not people: they see the author masked.
    """
    if context.is_superuser or context.is_centre(Role.ANALYST, signal.region_id):
        return True
    return signal.agency_id is not None and signal.agency_id in context.agency_roles


def mask_name(name: str) -> str:
    """«Иванов Пётр» → «И*** П***»: enough to tell two authors apart, not to identify one."""
    return " ".join(f"{part[0]}***" for part in name.split() if part) if name else ""


# --- the queue ------------------------------------------------------------------------------


def queue_for_user(*, user: User) -> QuerySet[Signal]:
    """Visible signals joined and trimmed for the queue's columns (text: its first 200 chars)."""
    return (
        signal_visible_to(user=user)
        .select_related(
            "region", "category", "category__parent", "municipality", "agency", "assignee"
        )
        .only(*QUEUE_FIELDS)
        .annotate(text_head=Left("text", 200))
    )


def with_highlight(queryset: QuerySet[Signal], text: str) -> QuerySet[Signal]:
    """Add the matching fragment of each row's text for a search (computed for the page only)."""
    query = SearchQuery(text, config="russian", search_type="websearch")
    return queryset.annotate(
        headline=SearchHeadline(
            "text", query, config="russian", start_sel=HIGHLIGHT_START,
            stop_sel=HIGHLIGHT_STOP, max_words=30, min_words=12, max_fragments=1,
        )
    )  # fmt: skip


def highlighted(fragment: str) -> SafeString:
    """Escape a headline and turn its markers into <mark> (the text itself is never trusted)."""
    safe: str = escape(fragment)
    safe = safe.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308 — escaped above, only our own tags added


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


@dataclass
class QueueRow:
    """A queue row with its display strings computed once, in Python: the row template only
    prints them (a page of 50 rows rendered with per-cell tags and filters cost more than
    the queries behind it)."""

    signal: Signal
    badge: Badge
    author: str
    author_masked: bool
    line: str | SafeString
    url: str
    received_iso: str
    received_exact: str
    received_ago: str
    badge_text: str
    badge_title: str
    assignee: str
    channel_mark: str


def _badge_strings(badge: Badge) -> tuple[str, str]:
    due = timezone.localtime(badge.due).strftime("%d.%m.%Y %H:%M") if badge.due else ""
    left = formatting.span(badge.left)
    if badge.state == "overdue":
        return f"−{left}", _("Overdue by %(left)s of working time (deadline %(due)s)") % {
            "left": left, "due": due,
        }  # fmt: skip
    if badge.state in ("ok", "warning"):
        return left, _("%(left)s of working time left (deadline %(due)s)") % {
            "left": left, "due": due,
        }  # fmt: skip
    if badge.state == "paused":
        return _("paused"), ""
    return "—", ""


def queue_rows(signals: Iterable[Signal], *, user: User) -> list[QueueRow]:
    """Decorate a page of queue rows: SLA badge, author (masked by role), first line or match."""
    signals = list(signals)
    context = staff_context(user=user)
    now = timezone.now()
    badges = badges_for(signals, now=now)
    prefix = reverse("signals_app:signal_detail", args=["0"])[:-2]
    rows = []
    for signal in signals:
        visible = may_see_personal_data(context, signal)
        headline = getattr(signal, "headline", None)
        badge = badges[signal.pk]
        badge_text, badge_title = _badge_strings(badge)
        local = timezone.localtime(signal.received_at)
        rows.append(
            QueueRow(
                signal=signal,
                badge=badge,
                author=signal.author_name if visible else mask_name(signal.author_name),
                author_masked=not visible,
                line=highlighted(headline) if headline else first_line(signal.text_head),  # type: ignore[attr-defined]
                url=f"{prefix}{signal.number}/",
                received_iso=local.isoformat(),
                received_exact=local.strftime("%d.%m.%y %H:%M"),
                received_ago=formatting.ago(signal.received_at, now),
                badge_text=badge_text,
                badge_title=badge_title,
                assignee=_user_name(signal.assignee) if signal.assignee_id else "",
                channel_mark=formatting.CHANNEL_MARKS.get(signal.channel, "?"),
            )
        )
    return rows


def queue_new_rows(queryset: QuerySet[Signal], *, after_id: int) -> QuerySet[Signal]:
    """Rows of the current filter that arrived after the newest the page has shown."""
    return queryset.filter(pk__gt=after_id).order_by("-id")[:50]


def user_may_act(*, user: User) -> bool:
    """Whether the user holds any role that writes (supervisors only read)."""
    context = staff_context(user=user)
    return context.is_superuser or Role.ANALYST in context.roles or bool(context.agency_roles)


def user_may_report(*, user: User) -> bool:
    """Whether the user reads the centre's reports (supervisors and analysts)."""
    context = staff_context(user=user)
    return context.is_superuser or bool(
        context.roles & {Role.SUPERVISOR, Role.ANALYST} and context.region_ids
    )


def default_view_for(*, user: User) -> str:
    """The queue a role starts from (DESIGN.md §1): see the filter set's `view` choices."""
    context = staff_context(user=user)
    if context.is_superuser or (Role.ANALYST in context.roles and context.region_ids):
        return "triage"
    roles = set(context.agency_roles.values())
    if Membership.Role.COORDINATOR in roles:
        return "agency"
    if Membership.Role.EXECUTOR in roles:
        return "mine"
    return "open"


# --- saved views and answer templates ---------------------------------------------------------


def _user_region_ids(context: StaffContext) -> set[int]:
    regions = set(context.region_ids)
    if context.agency_ids:
        regions |= set(
            Agency.objects.filter(pk__in=context.agency_ids).values_list("region_id", flat=True)
        )
    return regions


def saved_views_for_user(*, user: User) -> QuerySet[SavedView]:
    """The user's own views and those shared in their regions."""
    regions = _user_region_ids(staff_context(user=user))
    return (
        SavedView.objects.filter(Q(owner=user) | Q(is_shared=True, region_id__in=regions))
        .select_related("owner")
        .only("id", "name", "query", "is_shared", "owner_id", "owner__username")
        .order_by("name", "id")
    )


def answer_templates_for(*, user: User, signal: Signal | None = None) -> QuerySet[AnswerTemplate]:
    """The user's templates and those shared in their regions; for a signal, those of its
    region whose category is empty, the signal's or its topic."""
    context = staff_context(user=user)
    templates = AnswerTemplate.objects.select_related("category", "owner")
    if signal is not None:
        templates = templates.filter(region_id=signal.region_id)
        categories: list[int] = []
        if signal.category_id:
            categories = [signal.category_id]
            if signal.category and signal.category.parent_id:
                categories.append(signal.category.parent_id)
        templates = templates.filter(Q(category__isnull=True) | Q(category_id__in=categories))
    regions = _user_region_ids(context)
    return templates.filter(Q(owner=user) | Q(is_shared=True, region_id__in=regions)).order_by(
        "title", "id"
    )


def template_fill(template: AnswerTemplate, signal: Signal) -> str:
    """Replace {number}, {date}, {agency}, {address}; any other brace text stays as written."""
    local = timezone.localtime(signal.received_at, ZoneInfo(signal.region.time_zone))
    values = {
        "number": signal.number,
        "date": local.strftime("%d.%m.%Y"),
        "agency": signal.agency.name if signal.agency else "",
        "address": signal.address or (signal.municipality.name if signal.municipality else ""),
    }
    return re.sub(
        r"\{(number|date|agency|address)\}", lambda match: values[match.group(1)], template.text
    )


# --- the signal page -------------------------------------------------------------------------


def signal_for_page(*, user: User, number: str) -> Signal | None:
    """One visible signal with what its page shows on every visit, in one row.

    The source, the mass incident, the original of a repeat and the policy version are read
    by key when the page needs them: each further join costs more planning time than the
    key lookup it saves.
    """
    rows = (
        signal_visible_to(user=user)
        .select_related(
            "region", "category", "category__parent", "municipality", "agency", "assignee"
        )
        .filter(number=number)
        .order_by()[:1]
    )
    return next(iter(rows), None)


@dataclass
class Actions:
    """What the user may do to this signal now; the services check it again on every POST."""

    kinds: frozenset[str]
    allowed: set[str] = field(default_factory=set)

    def __contains__(self, name: str) -> bool:
        return name in self.allowed


def actions_for(*, user: User, signal: Signal, submitted: Reply | None) -> Actions:
    context = staff_context(user=user)
    kinds = {role for role in (ANALYST, SUPERVISOR) if context.is_centre(role, signal.region_id)}
    if signal.agency_id is not None and signal.agency_id in context.agency_roles:
        kinds.add(context.agency_roles[signal.agency_id])
    centre = ANALYST in kinds
    staff = bool(kinds & {EXECUTOR, COORDINATOR})
    status = signal.status
    working = status in (Status.IN_PROGRESS, Status.AWAITING_INFO, Status.REPLY_REVIEW)
    allowed: set[str] = set()
    if centre:
        if status == Status.NEW or working:
            allowed.add("route")
        if status in (Status.NEW, Status.AWAITING_INFO):
            allowed |= {"reject", "duplicate"}
        if status == Status.ANSWERED:
            allowed.add("close")
        if status in (Status.ANSWERED, Status.CLOSED):
            allowed.add("reopen")
        if status == Status.REJECTED:
            allowed.add("restore")
        if status in OPEN_STATUSES and signal.parent_id is None:
            allowed.add("merge")
        if submitted is not None:
            allowed.add("review")
        allowed.add("category")
        allowed.add("redeliver")  # the page offers it on a failed delivery only
    if (centre or COORDINATOR in kinds) and signal.agency_id and working:
        allowed.add("assign")
    if (centre or COORDINATOR in kinds) and status in OPEN_STATUSES:
        allowed.add("priority")
        if signal.sla_extended_at is None and signal.sla_version_id:
            allowed.add("extend")
    if staff:
        mine_or_free = signal.assignee_id in (None, user.pk)
        not_yet = signal.assignee_id is None or signal.reacted_at is None
        if status in (Status.IN_PROGRESS, Status.AWAITING_INFO) and mine_or_free and not_yet:
            allowed.add("take")
        if status == Status.IN_PROGRESS:
            allowed.add("request_info")
        if status == Status.AWAITING_INFO:
            allowed.add("resume")
    may_write = (status == Status.NEW and centre) or (
        status in (Status.IN_PROGRESS, Status.AWAITING_INFO) and staff
    )
    if may_write and submitted is None:
        allowed.add("reply")
    if kinds & {ANALYST, EXECUTOR, COORDINATOR}:
        allowed.add("note")
    return Actions(kinds=frozenset(kinds), allowed=allowed)


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    label: str
    actor: str
    detail: list[str]
    text: str = ""
    event: SignalEvent | None = None


def _user_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def timeline(signal: Signal) -> list[TimelineEntry]:
    """Every event, with the notes and replies they refer to, oldest first (five queries)."""
    events = list(signal.events.select_related("actor").order_by("created_at", "id"))
    notes = {note.pk: note for note in Note.objects.filter(signal=signal).select_related("author")}
    replies = {reply.pk: reply for reply in Reply.objects.filter(signal=signal)}
    agency_ids: set[int] = set()
    user_ids: set[int] = set()
    category_ids: set[int] = set()
    for event in events:
        changes = event.changes or {}
        for key, bucket in (
            ("agency", agency_ids),
            ("assignee", user_ids),
            ("category", category_ids),
        ):
            value = changes.get(key)
            if isinstance(value, list):
                bucket.update(v for v in value if isinstance(v, int))
    agencies = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    users = {u.pk: _user_name(u) for u in User.objects.filter(pk__in=user_ids)}
    categories = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    names = {"agency": agencies, "assignee": users, "category": categories}
    entries = []
    for event in events:
        detail = []
        changes = event.changes or {}
        if event.from_status or event.to_status:
            detail.append(
                f"{Status(event.from_status).label if event.from_status else '—'} → "
                f"{Status(event.to_status).label if event.to_status else '—'}"
            )
        for key, lookup in names.items():
            value = changes.get(key)
            if isinstance(value, list) and len(value) == 2 and value[0] != value[1]:
                old, new = (lookup.get(v, "—") if v else "—" for v in value)
                detail.append(f"{old} → {new}")
        for key in ("priority", "channel"):
            value = changes.get(key)
            if isinstance(value, list) and len(value) == 2:
                detail.append(f"{value[0]} → {value[1]}")
        if event.kind == SignalEvent.Kind.MERGED and changes.get("parent"):
            detail.append(str(changes["parent"]))
        if event.reason:
            detail.append(event.reason)
        text = ""
        if event.kind == SignalEvent.Kind.NOTE_ADDED and changes.get("note") in notes:
            text = notes[changes["note"]].text
        if (
            event.kind
            in (
                SignalEvent.Kind.REPLY_SUBMITTED,
                SignalEvent.Kind.REPLY_APPROVED,
            )
            and changes.get("reply") in replies
        ):
            text = replies[changes["reply"]].text
        entries.append(
            TimelineEntry(
                at=event.created_at,
                kind=event.kind,
                label=str(event.get_kind_display()),
                actor=_user_name(event.actor),
                detail=detail,
                text=text,
                event=event,
            )
        )
    return entries


def related_signals(signal: Signal, *, user: User) -> dict[str, list[Signal]]:
    """Same author, same address, same mass incident, suggested duplicates (five each)."""
    visible = (
        signal_visible_to(user=user)
        .exclude(pk=signal.pk)
        .only("id", "number", "status", "received_at", "text")
        .order_by("-received_at")
    )
    related: dict[str, list[Signal]] = {}
    if signal.author_profile_url:
        related["author"] = list(visible.filter(author_profile_url=signal.author_profile_url)[:5])
    elif signal.author_contact:
        related["author"] = list(
            visible.filter(region_id=signal.region_id, author_contact=signal.author_contact)[:5]
        )
    if signal.address:
        related["address"] = list(
            visible.filter(region_id=signal.region_id, address=signal.address)[:5]
        )
    lead = signal.parent_id or (signal.pk if signal.is_mass_incident else None)
    if lead:
        related["mass"] = list(visible.filter(Q(parent_id=lead) | Q(pk=lead))[:10])
    related["duplicates"] = suggested_duplicates(signal, visible)
    return {key: rows for key, rows in related.items() if rows}


_WORD = re.compile(r"[^\W\d_]{5,}", re.UNICODE)


def suggested_duplicates(signal: Signal, visible: QuerySet[Signal]) -> list[Signal]:
    """Linked repeats, then texts like this one from the same place and days (ranked)."""
    linked = Q(duplicate_of_id=signal.pk)
    if signal.duplicate_of_id:
        linked |= Q(pk=signal.duplicate_of_id)
    found = list(visible.filter(linked)[:5])
    words = sorted(set(_WORD.findall(signal.text.lower())), key=len, reverse=True)[:8]
    if not words or len(found) >= 5:
        return found
    query = SearchQuery(" or ".join(words), config="russian", search_type="websearch")
    window = (signal.received_at - timedelta(days=2), signal.received_at + timedelta(days=2))
    similar = visible.filter(
        region_id=signal.region_id,
        received_at__range=window,
        search_vector=query,
    ).exclude(pk__in=[row.pk for row in found])
    if signal.municipality_id:
        similar = similar.filter(municipality_id=signal.municipality_id)
    if signal.category_id:
        similar = similar.filter(category_id=signal.category_id)
    similar = similar.annotate(rank=SearchRank(F("search_vector"), query)).order_by("-rank")
    return found + list(similar[: 5 - len(found)])


def attachments_of(signal: Signal) -> list[Attachment]:
    return list(signal.attachments.order_by("created_at", "id"))


def escalations_of(signal: Signal) -> list[Escalation]:
    return list(Escalation.objects.filter(signal=signal).order_by("fired_at", "id"))


def agency_choices(signal: Signal) -> QuerySet[Agency]:
    return Agency.objects.filter(region_id=signal.region_id, is_active=True).only(
        "id", "name", "short_name"
    )


def assignee_choices(agency_id: int | None) -> QuerySet[User]:
    if agency_id is None:
        return User.objects.none()
    return (
        User.objects.filter(memberships__agency_id=agency_id, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
        .only("id", "username", "first_name", "last_name")
    )


def category_choices(region_id: int) -> QuerySet[Category]:
    return (
        Category.objects.filter(region_id=region_id, is_active=True)
        .select_related("parent")
        .order_by("parent__order", "parent__name", "order", "name")
    )


# --- agency page and "my work" ----------------------------------------------------------------


def agency_for_user(*, user: User, agency_id: int) -> Agency | None:
    """An agency the user may look at: their own (and below), or any in their centre regions."""
    context = staff_context(user=user)
    agency = Agency.objects.select_related("region").filter(pk=agency_id).first()
    if agency is None:
        return None
    if context.is_superuser or agency.pk in context.agency_roles:
        return agency
    if any(context.is_centre(role, agency.region_id) for role in (Role.ANALYST, Role.SUPERVISOR)):
        return agency
    return None


def agency_figures(agency: Agency, *, now: datetime) -> dict[str, Any]:
    """Open and overdue now; mean reaction and answer time of this month's signals (one query)."""
    zone = ZoneInfo(agency.time_zone or agency.region.time_zone)
    local = timezone.localtime(now, zone)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = Signal.objects.filter(agency=agency)
    this_month = Q(received_at__gte=month_start)
    duration: DurationField = DurationField()
    return rows.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, next_deadline_at__lt=now)),
        received_month=Count("id", filter=this_month),
        reaction=Avg(
            ExpressionWrapper(F("reacted_at") - F("received_at"), output_field=duration),
            filter=this_month & Q(reacted_at__isnull=False),
        ),
        answer=Avg(
            ExpressionWrapper(F("answered_at") - F("received_at"), output_field=duration),
            filter=this_month & Q(answered_at__isnull=False),
        ),
    ) | {"month_start": month_start}


def my_work(*, user: User) -> dict[str, QuerySet]:
    """What waits for the user: signals assigned to them, replies returned to them, and for
    analysts the answers waiting for review."""
    queue = queue_for_user(user=user).filter(status__in=OPEN_STATUSES)
    work = {
        "assigned": queue.filter(assignee=user).order_by(
            F("next_deadline_at").asc(nulls_last=True), "-id"
        ),
        "returned": Reply.objects.filter(
            author=user, state__in=(Reply.State.RETURNED, Reply.State.DRAFT)
        )
        .select_related("signal")
        .only("id", "kind", "state", "review_comment", "created_at", "signal__number")
        .order_by("-created_at")[:50],
    }
    context = staff_context(user=user)
    if context.is_superuser or Role.ANALYST in context.roles:
        work["review"] = queue.filter(status=Status.REPLY_REVIEW).order_by(
            F("next_deadline_at").asc(nulls_last=True), "-id"
        )
    return work


@dataclass
class DeadlineRow:
    kind: str
    label: str
    clock: str
    duration: timedelta
    base_due: datetime
    after_pauses: datetime
    due: datetime | None
    fulfilled_at: datetime | None
    left: timedelta | None  # working time; negative once overdue
    state: str


def sla_panel(
    signal: Signal, explanation: dict[str, Any], *, now: datetime, cache: dict | None = None
) -> list[DeadlineRow]:
    """Each deadline of the signal with its computation steps and the working time left."""
    from signals_app.sla.clock import Clock, elapsed
    from signals_app.sla.models import CLOCK_CHOICES, DeadlineKind
    from signals_app.sla.services import schedule_for_signal

    if not explanation.get("deadlines"):
        return []
    schedule = schedule_for_signal(signal, cache)
    clocks = dict(CLOCK_CHOICES)
    rows = []
    for item in explanation["deadlines"]:
        due = _parse(item["due"])
        fulfilled = _parse(item["fulfilled_at"])
        left = None
        state = "done" if fulfilled else "none"
        if due is not None and fulfilled is None:
            if signal.sla_paused_at is not None:
                state = "paused"
            elif due <= now:
                left, state = -elapsed(due, now, Clock.WORKING_HOURS, schedule), "overdue"
            else:
                left, state = elapsed(now, due, Clock.WORKING_HOURS, schedule), "ok"
        elif fulfilled is not None and due is not None and fulfilled > due:
            state = "late"
        rows.append(
            DeadlineRow(
                kind=item["kind"],
                label=str(DeadlineKind(item["kind"]).label),
                clock=str(clocks.get(item["clock"], item["clock"])),
                duration=timedelta(seconds=item["duration_seconds"]),
                base_due=_parse(item["base_due"]),  # type: ignore[arg-type]
                after_pauses=_parse(item["after_pauses"]),  # type: ignore[arg-type]
                due=due,
                fulfilled_at=fulfilled,
                left=left,
                state=state,
            )
        )
    return rows


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- what the signal page and the API's detail both read -------------------------------------


@dataclass
class CaseFile:
    """A signal's replies (oldest first, with author, reviewer and delivery), its deadlines
    with their explanation, escalations, timeline and attachments."""

    replies: list[Reply]
    explanation: dict[str, Any]
    deadlines: list[DeadlineRow]
    escalations: list[Escalation]
    timeline: list[TimelineEntry]
    attachments: list[Attachment]


def case_file(signal: Signal, *, now: datetime) -> CaseFile:
    from signals_app.sla.services import sla_explain

    schedules: dict = {}
    explanation = sla_explain(signal, schedules)
    return CaseFile(
        replies=list(
            signal.replies.select_related("author", "reviewer", "delivery").order_by("created_at")
        ),
        explanation=explanation,
        deadlines=sla_panel(signal, explanation, now=now, cache=schedules),
        escalations=escalations_of(signal),
        timeline=timeline(signal),
        attachments=attachments_of(signal),
    )


def replies_seen_by(replies: Iterable[Reply], user: User) -> list[Reply]:
    """Drafts are their author's private work; every other reply is part of the case."""
    return [r for r in replies if r.state != Reply.State.DRAFT or r.author_id == user.pk]
