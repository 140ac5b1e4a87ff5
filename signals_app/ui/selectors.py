"""Reads behind the case-management pages, scoped to what the user may see and may do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import SearchRank
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency, Membership, Role, User
from agencies.selectors import StaffContext, staff_context
from signals_app import channels, citizen, search
from signals_app.access import mask_name, may_see_personal_data
from signals_app.casefile import user_name
from signals_app.choices import OPEN_STATUSES, Status
from signals_app.models import (
    AnswerTemplate,
    Category,
    Reply,
    SavedView,
    Signal,
    SignalPart,
)
from signals_app.outbound.models import UNDELIVERED, ReplyDelivery
from signals_app.selectors import signal_visible_to
from signals_app.ui import formatting
from signals_app.ui.sla_badges import Badge, badges_for

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
    "reaction_due_at",
    "answer_due_at",
    "resolution_due_at",
    "sla_version_id",
    "sla_started_at",
    "sla_paused_at",
    "escalation_level",
    "is_mass_incident",
    "parent_id",
    "reopened_count",
)
HIGHLIGHT_START, HIGHLIGHT_STOP = "\x02", "\x03"


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
    return queryset.annotate(
        headline=search.headline(text, start=HIGHLIGHT_START, stop=HIGHLIGHT_STOP)
    )


def highlighted(fragment: str) -> SafeString:
    """Escape a headline and turn its markers into <mark> (the text itself is never trusted)."""
    safe: str = escape(fragment)
    safe = safe.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308 — escaped above, only our own tags added


first_line = citizen.first_line


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
    undelivered: bool = False  # a published answer the citizen has not got


DEADLINE_NAMES = {
    "reaction": gettext_lazy("reaction deadline"),
    "answer": gettext_lazy("answer deadline"),
    "resolution": gettext_lazy("resolution deadline"),
}


def _badge_strings(badge: Badge) -> tuple[str, str]:
    """The badge's text and its hover: the due moment, which deadline, in what clock."""
    due = timezone.localtime(badge.due).strftime("%d.%m.%Y %H:%M") if badge.due else ""
    kind = str(DEADLINE_NAMES.get(badge.kind, _("deadline")))
    left = formatting.term_left(badge.left, badge.clock)
    if badge.state == "paused":
        since = timezone.localtime(badge.paused_at).strftime("%d.%m.%Y %H:%M")
        return _("paused"), _(
            "The clock is paused since %(since)s; it runs again when the "
            "citizen answers or the work resumes"
        ) % {"since": since}
    if badge.state == "overdue":
        return f"−{left}", _("Overdue by %(left)s · %(kind)s %(due)s") % {
            "left": left, "kind": kind, "due": due,
        }  # fmt: skip
    if badge.state in ("ok", "warning"):
        return left, _("%(left)s left · %(kind)s %(due)s") % {
            "left": left, "kind": kind, "due": due,
        }  # fmt: skip
    return "—", ""


def queue_rows(signals: Iterable[Signal], *, user: User) -> list[QueueRow]:
    """Decorate a page of queue rows: SLA badge, author (masked by role), first line or match."""
    signals = list(signals)
    context = staff_context(user=user)
    now = timezone.now()
    badges = badges_for(signals, now=now)
    undelivered = set(
        ReplyDelivery.objects.filter(
            signal_id__in=[signal.pk for signal in signals], state__in=UNDELIVERED
        ).values_list("signal_id", flat=True)
    ) if signals else set()  # fmt: skip
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
                assignee=user_name(signal.assignee) if signal.assignee_id else "",
                channel_mark=channels.mark(signal.channel),
                undelivered=signal.pk in undelivered,
            )
        )
    return rows


def queue_new_rows(queryset: QuerySet[Signal], *, after_id: int) -> QuerySet[Signal]:
    """Rows of the current filter that arrived after the newest the page has shown."""
    return queryset.filter(pk__gt=after_id).order_by("-id")[:50]


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
            "region", "category", "category__parent", "municipality", "agency", "assignee", "parent"
        )
        .filter(number=number)
        .order_by()[:1]
    )
    return next(iter(rows), None)


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
    query = search.every_word(" or ".join(words))
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


def agency_choices(signal: Signal) -> QuerySet[Agency]:
    return (
        Agency.objects.filter(region_id=signal.region_id, is_active=True)
        .only("id", "name", "short_name", "synonyms", "kind")
        .order_by("short_name", "name")
    )


@dataclass
class RouteSuggestion:
    agency: Agency
    reasons: list[str]


SIMILAR_DAYS = 180  # how far back "where similar signals went" looks


def route_suggestions(signal: Signal, agencies: list[Agency]) -> list[RouteSuggestion]:
    """The likely agencies first: what the routing rules say (for the signal's category, or
    for the one the classifier reads in its text), and where the signals of the same
    municipality and subtopic went lately, with their share. At most five."""
    from signals_app.ingest.classifier import classify_by_model
    from signals_app.ingest.rules import route_by_rules

    by_id = {agency.pk: agency for agency in agencies}
    found: dict[int, list[str]] = {}

    def add(agency_id: int | None, reason: str) -> None:
        if agency_id in by_id and agency_id != signal.agency_id:
            found.setdefault(agency_id, []).append(reason)

    rule = route_by_rules(signal)
    if rule is not None:
        add(rule.agency_id, _("routing rule #%(rule)s") % {"rule": rule.pk})
    category = signal.category
    if category is None:
        [guess] = classify_by_model(region_id=signal.region_id, texts=[signal.text])
        if guess is not None:
            category = Category.objects.filter(pk=guess.category_id).first()
            if category is not None:
                guessed = Signal(
                    region_id=signal.region_id, text=signal.text, category=category,
                    municipality_id=signal.municipality_id, source=signal.source,
                )  # fmt: skip
                rule = route_by_rules(guessed)
                if rule is not None:
                    add(rule.agency_id, _("the classifier reads «%(category)s» (%(share)d %%)")
                        % {"category": category.name, "share": round(guess.confidence * 100)})  # fmt: skip
    if category is not None:
        similar = Signal.objects.filter(
            region_id=signal.region_id,
            category_id=category.pk,
            agency__isnull=False,
            received_at__gte=signal.received_at - timedelta(days=SIMILAR_DAYS),
        ).exclude(pk=signal.pk)
        if signal.municipality_id:
            similar = similar.filter(municipality_id=signal.municipality_id)
        counts = list(similar.values("agency_id").annotate(n=Count("id")).order_by("-n")[:3])
        total = sum(row["n"] for row in counts)
        for row in counts:
            if total >= 3:
                add(row["agency_id"], _("%(share)d %% of similar signals went there")
                    % {"share": round(100 * row["n"] / total)})  # fmt: skip
    return [RouteSuggestion(by_id[pk], reasons) for pk, reasons in found.items()][:5]


def bulk_options(*, user: User, action: str) -> dict[str, Any]:
    """What the bulk bar lists for an action's input: agencies and categories of the regions
    where the user is an analyst, people of those regions and of the user's agencies."""
    context = staff_context(user=user)
    regions = (
        None
        if context.is_superuser
        else set(context.region_ids)
        if Role.ANALYST in context.roles
        else set()
    )
    if action == "route":
        agencies = Agency.objects.filter(is_active=True).only(
            "id", "name", "short_name", "region_id"
        )
        if regions is not None:
            agencies = agencies.filter(region_id__in=regions)
        return {"agencies": agencies.order_by("name")}
    if action == "category":
        categories = Category.objects.filter(is_active=True).select_related("parent")
        if regions is not None:
            categories = categories.filter(region_id__in=regions)
        return {"categories": categories.order_by("parent__name", "name")}
    if action == "assign":
        people = User.objects.filter(is_active=True, memberships__isnull=False)
        if regions is not None:
            people = people.filter(
                Q(memberships__agency__region_id__in=regions)
                | Q(memberships__agency_id__in=context.agency_ids)
            )
        return {"people": people.distinct().order_by("last_name", "first_name", "username")[:500]}
    return {}


def category_choices(region_id: int) -> QuerySet[Category]:
    return (
        Category.objects.filter(region_id=region_id, is_active=True)
        .select_related("parent")
        .order_by("parent__order", "parent__name", "order", "name")
    )


# --- agency page and "my work" ----------------------------------------------------------------


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


def my_unfinished_replies(*, user: User, queue: QuerySet[Signal]) -> list[Reply]:
    """The user's drafts and returned replies on open signals they still see: one line per
    signal and state (the latest), newest first, each with its moment (`when`)."""
    latest = (
        Reply.objects.filter(
            author=user,
            state__in=(Reply.State.RETURNED, Reply.State.DRAFT),
            signal__in=queue.values("pk"),
        )
        .select_related("signal")
        .only("id", "kind", "state", "review_comment", "created_at", "reviewed_at",
              "signal__number", "signal__status")
        .order_by("signal_id", "state", "-created_at", "-id")
        .distinct("signal_id", "state")
    )  # fmt: skip
    replies = list(latest[:200])
    for reply in replies:
        reply.when = reply.reviewed_at if reply.state == Reply.State.RETURNED else reply.created_at  # type: ignore[attr-defined]
        reply.when = reply.when or reply.created_at  # type: ignore[attr-defined]
    replies.sort(key=lambda reply: reply.when, reverse=True)  # type: ignore[attr-defined]
    return replies[:50]


def my_work(*, user: User) -> dict[str, Any]:
    """What waits for the user: signals assigned to them, replies returned to them, and for
    analysts the answers waiting for review."""
    queue = queue_for_user(user=user).filter(status__in=OPEN_STATUSES)
    work = {
        "assigned": queue.filter(assignee=user).order_by(
            F("next_deadline_at").asc(nulls_last=True), "-id"
        ),
        "returned": my_unfinished_replies(user=user, queue=queue),
    }
    context = staff_context(user=user)
    if context.agency_ids:
        # The parts their agencies hold as co-executors: given to them, or to nobody yet.
        work["parts"] = (
            SignalPart.objects.filter(
                agency_id__in=context.agency_ids, state=SignalPart.State.OPEN,
                signal__status__in=OPEN_STATUSES,
            )
            .filter(Q(assignee=user) | Q(assignee__isnull=True))
            .select_related("signal", "agency")
            .order_by("due_at", "pk")
        )  # fmt: skip
    if context.is_superuser or Role.ANALYST in context.roles:
        work["review"] = queue.filter(status=Status.REPLY_REVIEW).order_by(
            F("next_deadline_at").asc(nulls_last=True), "-id"
        )
    return work
