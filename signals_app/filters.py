"""The one FilterSet of the signal queue: the list page, the API and the exports share it.

Every filter lives in the URL's query string. Choices (categories, municipalities, agencies)
are limited to the regions the user works in; what the user may see is decided before, by the
selectors — a filter only narrows it.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, Role, User
from agencies.selectors import staff_context
from signals_app import search
from signals_app.choices import OPEN_STATUSES, Channel, Priority, Status
from signals_app.models import Category, Reply, Signal, SignalPart

# A signal's number typed into the search box, whole or by its tail: "74-2026-020001",
# "2026-020001", "020001" or "20001" (four to six digits).
NUMBER_FULL = re.compile(r"^(\d{2,3})-(\d{4})-(\d{1,6})$")
NUMBER_YEAR = re.compile(r"^(\d{4})-(\d{1,6})$")
NUMBER_TAIL = re.compile(r"^\d{4,6}$")
NUMBER_YEARS = 12  # a tail is looked for in this many years back from now


def number_candidates(value: str) -> list[str] | None:
    """The whole numbers a search for a number (or its tail) can mean, or None when the
    search is not a number. Exact values, so the number's unique index answers at once."""
    value = value.strip()
    if found := NUMBER_FULL.match(value):
        code, year, tail = found.groups()
        return [f"{code}-{year}-{int(tail):06d}"]
    this_year = timezone.now().year
    if found := NUMBER_YEAR.match(value):
        years, tail = [int(found[1])], found[2]
    elif NUMBER_TAIL.match(value):
        years, tail = list(range(this_year - NUMBER_YEARS, this_year + 2)), value
    else:
        return None
    from agencies.models import Region

    codes = list(Region.objects.values_list("code", flat=True))
    return [f"{code}-{year}-{int(tail):06d}" for code in codes for year in years]


DEADLINE_CHOICES = (
    ("overdue", _("Overdue")),
    ("today", _("Due today")),
    ("hours", _("Due within N hours")),
)

VIEW_CHOICES = (
    ("triage", _("Triage: new, unrouted and overdue")),
    ("agency", _("Open signals of my agencies")),
    ("mine", _("Mine and unassigned in my agencies")),
    ("open", _("All open")),
)


def _regions(request) -> list[int] | None:  # type: ignore[no-untyped-def]
    if request is None or not request.user.is_authenticated:
        return []
    context = staff_context(user=request.user)
    return None if context.is_superuser else list(context.region_ids)


def _scoped(model):  # type: ignore[no-untyped-def]
    def queryset(request):  # type: ignore[no-untyped-def]
        regions = _regions(request)
        rows = model.objects.all()
        if model is Category:
            # A tree: each topic, then its subtopics (the name says its topic: one join).
            rows = rows.select_related("parent").order_by(
                Coalesce("parent__name", "name"), F("parent_id").asc(nulls_first=True), "name"
            )
        if regions is not None:
            context = staff_context(user=request.user) if request is not None else None
            if model is Agency and context is not None and not _sees_regions(context):
                # Agency staff choose among the agencies they see, not the region's 149.
                return rows.filter(pk__in=context.agency_ids)
            # Agency staff without a region see the rows of their agencies' regions.
            if not regions and context is not None:
                regions = list(
                    Agency.objects.filter(pk__in=context.agency_ids).values_list(
                        "region_id", flat=True
                    )
                )
            rows = rows.filter(region_id__in=regions)
        return rows

    return queryset


def _sees_regions(context) -> bool:  # type: ignore[no-untyped-def]
    return bool(context.roles & {Role.ANALYST, Role.SUPERVISOR} and context.region_ids)


def assignee_choices(user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """«я», «никто» and the people of the user's agencies by name (for those who see whole
    regions: the people of the regions' agencies and the regions' analysts)."""
    people = [("me", str(_("me"))), ("nobody", str(_("nobody")))]
    if user is None or not user.is_authenticated:
        return people
    context = staff_context(user=user)
    members = Q(memberships__agency_id__in=context.agency_ids)
    if context.is_superuser:
        members = Q(memberships__isnull=False)
    elif _sees_regions(context):
        members |= Q(memberships__agency__region_id__in=context.region_ids) | Q(
            regions__in=context.region_ids
        )
    rows = (
        User.objects.filter(members, is_active=True)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("last_name", "first_name", "username")
        .only("id", "first_name", "last_name", "username")
    )
    return people + [(str(person.pk), person.get_full_name() or person.username) for person in rows]


class YesNo(forms.NullBooleanSelect):
    """A yes/no filter that is «все» until one is chosen (not Django's «Неизвестно»)."""

    def __init__(self, attrs=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(attrs)
        self.choices = [("unknown", _("all")), ("true", _("yes")), ("false", _("no"))]


class SignalFilterSet(django_filters.FilterSet):
    view = django_filters.ChoiceFilter(
        choices=VIEW_CHOICES, method="filter_view", label=_("View"), empty_label=_("All signals")
    )
    q = django_filters.CharFilter(
        method="filter_text",
        label=_("Search"),
        widget=forms.TextInput(attrs={"placeholder": _("Number or words")}),
    )
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("Channel"))
    category = django_filters.ModelMultipleChoiceFilter(
        queryset=_scoped(Category), method="filter_category", label=_("Category")
    )
    municipality = django_filters.ModelMultipleChoiceFilter(
        queryset=_scoped(Municipality), label=_("Municipality")
    )
    agency = django_filters.ModelMultipleChoiceFilter(queryset=_scoped(Agency), label=_("Agency"))
    # Its people are the user's (see __init__): «я», «никто» and colleagues by name.
    assignee = django_filters.MultipleChoiceFilter(
        choices=(("me", _("me")), ("nobody", _("nobody"))),
        method="filter_assignee",
        label=_("Assignee"),
    )
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Priority"))
    deadline = django_filters.ChoiceFilter(
        choices=DEADLINE_CHOICES,
        method="filter_deadline",
        label=_("Deadline"),
        empty_label=_("any deadline"),
    )
    hours = django_filters.NumberFilter(
        method="filter_noop", min_value=1, max_value=720, label=_("Hours")
    )
    received_from = django_filters.DateFilter(method="filter_received_from", label=_("From"))
    received_to = django_filters.DateFilter(method="filter_received_to", label=_("To"))
    has_reply = django_filters.BooleanFilter(
        method="filter_has_reply", label=_("Has a reply"), widget=YesNo
    )
    reopened = django_filters.BooleanFilter(
        method="filter_reopened", label=_("Reopened"), widget=YesNo
    )
    mass_incident = django_filters.BooleanFilter(
        method="filter_mass_incident", label=_("Mass incident"), widget=YesNo
    )
    reopen_requested = django_filters.BooleanFilter(
        method="filter_reopen_requested",
        label=_("Citizen says not solved (waiting)"),
        widget=YesNo,
    )
    undelivered = django_filters.BooleanFilter(
        method="filter_undelivered", label=_("Delivery failed"), widget=YesNo
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("next_deadline_at", "deadline"),
            ("received_at", "received"),
            ("number", "number"),
        ),
        # Lazy labels: the choices are built at import, in no user's language yet.
        choices=[
            (param, label)
            for value, name in (
                ("deadline", _("Deadline")),
                ("received", _("Received")),
                ("number", _("Number")),
            )
            for param, label in (
                (value, name),
                (f"-{value}", format_lazy("{} ({})", name, _("descending"))),
            )
        ],
        label=_("Order"),
        empty_label=_("by the next deadline"),
    )

    class Meta:
        model = Signal
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["assignee"].extra["choices"] = lambda: assignee_choices(user)

    def filter_queryset(self, queryset: QuerySet[Signal]) -> QuerySet[Signal]:
        """A number typed into the search looks through everything the user can see: the
        view (triage, my work…) does not hide the signal asked for by its number."""
        if number_candidates(self.form.cleaned_data.get("q") or "") is not None:
            self.form.cleaned_data["view"] = ""
        return super().filter_queryset(queryset)

    # --- the methods ----------------------------------------------------------------------

    def _zone(self) -> ZoneInfo:
        user = getattr(self.request, "user", None)
        name = getattr(user, "time_zone", "") or timezone.get_current_timezone_name()
        return ZoneInfo(name)

    def filter_text(self, queryset: QuerySet[Signal], name: str, value: str) -> QuerySet[Signal]:
        value = value.strip()
        if not value:
            return queryset
        text = Q(search_vector=search.matching(value))
        numbers = number_candidates(value)
        if numbers is None:
            return queryset.filter(text)
        if NUMBER_FULL.match(value) or NUMBER_YEAR.match(value):
            return queryset.filter(number__in=numbers)
        return queryset.filter(Q(number__in=numbers) | text)  # a tail, or a number in a text

    def filter_view(self, queryset, name, value):  # type: ignore[no-untyped-def]
        open_ = Q(status__in=OPEN_STATUSES)
        if value == "triage":
            overdue = open_ & Q(next_deadline_at__lt=timezone.now())
            return queryset.filter(
                Q(status=Status.NEW) | (open_ & Q(agency__isnull=True)) | overdue
            )
        if value == "open":
            return queryset.filter(open_)
        if value in ("agency", "mine"):
            user = self.request.user
            agencies = staff_context(user=user).agency_ids
            mine = open_ & Q(agency_id__in=agencies)
            parts = SignalPart.objects.filter(
                signal_id=OuterRef("pk"), agency_id__in=agencies, state=SignalPart.State.OPEN
            )
            if value == "mine":
                mine &= Q(assignee=user) | Q(assignee__isnull=True)
                parts = parts.filter(Q(assignee=user) | Q(assignee__isnull=True))
            # The parts their agency holds as a co-executor are its work too.
            return queryset.filter(mine | (open_ & Q(Exists(parts))))
        return queryset

    def filter_category(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if not value:
            return queryset
        # A topic covers its subtopics.
        return queryset.filter(Q(category__in=value) | Q(category__parent__in=value))

    def filter_assignee(self, queryset, name, value):  # type: ignore[no-untyped-def]
        chosen = Q(pk__in=[])
        for item in value:
            if item == "me":
                chosen |= Q(assignee=self.request.user)
            elif item == "nobody":
                chosen |= Q(assignee__isnull=True)
            else:
                chosen |= Q(assignee_id=int(item))
        return queryset.filter(chosen) if value else queryset

    def filter_deadline(self, queryset, name, value):  # type: ignore[no-untyped-def]
        now = timezone.now()
        open_ = queryset.filter(next_deadline_at__isnull=False)
        if value == "overdue":
            return open_.filter(next_deadline_at__lt=now)
        if value == "today":
            end = datetime.combine(
                timezone.localtime(now, self._zone()).date() + timedelta(days=1),
                time(),
                tzinfo=self._zone(),
            )
            return open_.filter(next_deadline_at__gte=now, next_deadline_at__lt=end)
        hours = self.form.cleaned_data.get("hours") or 4
        return open_.filter(
            next_deadline_at__gte=now, next_deadline_at__lte=now + timedelta(hours=int(hours))
        )

    def filter_noop(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset  # read by filter_deadline

    def _local_midnight(self, day) -> datetime:  # type: ignore[no-untyped-def]
        return datetime.combine(day, time(), tzinfo=self._zone())

    def filter_received_from(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(received_at__gte=self._local_midnight(value))

    def filter_received_to(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(received_at__lt=self._local_midnight(value + timedelta(days=1)))

    def filter_has_reply(self, queryset, name, value):  # type: ignore[no-untyped-def]
        published = Reply.objects.filter(
            signal=OuterRef("pk"), state=Reply.State.PUBLISHED, kind__in=Reply.WRITTEN_KINDS
        )
        return queryset.filter(Exists(published) if value else ~Exists(published))

    def filter_reopened(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(reopened_count__gt=0) if value else queryset.filter(reopened_count=0)

    def filter_reopen_requested(self, queryset, name, value):  # type: ignore[no-untyped-def]
        from signals_app.models import ReopenRequest

        waiting = ReopenRequest.objects.filter(
            signal=OuterRef("pk"), state=ReopenRequest.State.PENDING
        )
        return queryset.filter(Exists(waiting) if value else ~Exists(waiting))

    def filter_undelivered(self, queryset, name, value):  # type: ignore[no-untyped-def]
        from signals_app.outbound.models import UNDELIVERED, ReplyDelivery

        missing = ReplyDelivery.objects.filter(signal=OuterRef("pk"), state__in=UNDELIVERED)
        return queryset.filter(Exists(missing) if value else ~Exists(missing))

    def filter_mass_incident(self, queryset, name, value):  # type: ignore[no-untyped-def]
        inside = Q(is_mass_incident=True) | Q(parent__isnull=False)
        return queryset.filter(inside) if value else queryset.exclude(inside)


# The queue's order: the next deadline (none last), then the newest first.
QUEUE_ORDER = (F("next_deadline_at").asc(nulls_last=True), "-received_at", "-id")


def default_order(queryset: QuerySet[Signal]) -> QuerySet[Signal]:
    return queryset.order_by(*QUEUE_ORDER)


def relevance_order(
    filters: SignalFilterSet, rows: QuerySet[Signal]
) -> QuerySet[Signal] | RankedRows:
    """The queue's rows of a search whose match leaves words out (signals_app/search.py),
    with no order chosen: the texts holding every word typed first, each part in queue
    order (`RankedRows`). Any other search keeps the queue order: every row found holds
    every word."""
    if not filters.is_bound or not filters.form.is_valid():
        return rows
    data = filters.form.cleaned_data
    text = (data.get("q") or "").strip()
    if not text or data.get("ordering") or number_candidates(text) is not None:
        return rows
    if not search.drops_words(text):
        return rows
    every = Q(search_vector=search.every_word(text))
    return RankedRows(rows.filter(every), rows.exclude(every))


class RankedRows:
    """The rows of two parts read one after the other, each in queue order: what the
    paginator slices instead of one queryset sorted by "holds every word".

    Sorting by relevance reads every match (tens of thousands for a common word at a million
    signals). Read in the queue order's index instead, a dense part gives a page after a few
    thousand rows, but a sparse one walks the whole index. So each part is first counted
    through the text index (up to COUNTED rows: the paginator's count does it anyway), and
    the cheaper way is taken: in index order the page's end comes after about
    (offset + page) × signals / size rows, through the text index after `size` rows and a
    sort (each dearer: WALK_COST). PostgreSQL is told which plan (its estimate of how often two words meet misses by
    several times), for that one query only (`SET LOCAL` in its own transaction).
    """

    COUNTED = 10_001  # how far a part is counted before its size decides anything
    # A row passed in index order costs about an eighth of one fetched through the text index
    # and sorted (measured at a million signals: ~3 µs against ~25 µs).
    WALK_COST = 8
    ordered = True

    def __init__(self, first: QuerySet[Signal], rest: QuerySet[Signal]) -> None:
        self.parts = (first, rest)
        self._counted: dict[int, tuple[int, int]] = {}  # part → (rows counted, cap)

    def _count(self, number: int, cap: int) -> int:
        known = self._counted.get(number)
        if known is not None and (known[0] < known[1] or known[1] >= cap):
            return min(known[0], cap)
        counted = _capped(self.parts[number], cap)
        self._counted[number] = (counted, cap)
        return counted

    def _size(self, number: int, *, exact: bool) -> tuple[int, bool]:
        """The part's size as far as it is counted, and whether that is all of it."""
        self._count(number, 10**9 if exact else self.COUNTED)
        counted, cap = self._counted[number]
        return counted, counted < cap

    def capped_count(self, cap: int) -> int:
        """How many rows in all, counting no further than `cap`."""
        first = self._count(0, cap)
        return first + (self._count(1, cap - first) if first < cap else 0)

    def count(self) -> int:
        return self.capped_count(10**9)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Signal]:
        assert isinstance(index, slice) and index.stop is not None, "a page is a slice"
        low, high = index.start or 0, index.stop
        found: list[Signal] = []
        skip = low  # rows of the parts before the page
        for number, part in enumerate(self.parts):
            want = high - low - len(found)
            if want <= 0:
                break
            size, exact = self._size(number, exact=False)
            walk = (skip + want) * _table_rows() // self.WALK_COST
            if not exact and (skip >= size or size * size < walk):
                size, exact = self._size(number, exact=True)  # deep in a large part
            if skip >= size:
                skip -= size  # the page begins after this part
                continue
            found += _read(part, skip, skip + want, dense=size * size >= walk)
            skip = 0
        return found


def _table_rows() -> int:
    """The planner's count of signals (kept by ANALYZE): what a walk in index order passes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(reltuples, 1)::bigint FROM pg_class WHERE oid = %s::regclass",
            [Signal._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 1


def _capped(rows: QuerySet[Signal], cap: int) -> int:
    """How many rows, counting no further than `cap`, through the text index."""
    if cap <= 0:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL jit = off")  # a disabled plan's cost would call for JIT
        return rows.order_by().values("pk")[:cap].count()


def _read(rows: QuerySet[Signal], low: int, high: int, *, dense: bool) -> list[Signal]:
    with transaction.atomic(), connection.cursor() as cursor:
        if dense:  # in the queue order's index, stopping at the page's end
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
        else:  # through the text index, the few rows sorted
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL jit = off")  # a disabled plan's cost would call for JIT
        return list(rows[low:high])


# What a saved view keeps of a query string: the filters and the order, not the page.
_NOT_SAVED = {"page", "after", "csrfmiddlewaretoken"}


def saved_view_query(params: QueryDict) -> str:
    """The query string a saved view stores: non-empty filters, no page number."""
    pairs = [
        (key, value)
        for key in sorted(params)
        if key not in _NOT_SAVED
        for value in params.getlist(key)
        if value != ""
    ]
    return urlencode(pairs)


# --- a saved query in words ----------------------------------------------------------------

# The filters whose values are rows: (model, field that names a row).
_NAMED = {"category": (Category, "name"), "municipality": (Municipality, "name"),
          "agency": (Agency, "name")}  # fmt: skip


def describe_queries(queries: list[str]) -> dict[str, str]:
    """Each query string (a saved view's, an export's) in words — «Вид: Разбор · Поиск: «яма»» —
    for a whole list at once (one query per kind of named row, whatever the list's length)."""
    from django.contrib.auth import get_user_model

    parsed = {query: QueryDict(query) for query in queries}
    wanted: dict[str, set[int]] = {name: set() for name in (*_NAMED, "assignee")}
    for params in parsed.values():
        for name in wanted:
            # Only what can be a row's id: a 30-digit "id" of a hand-made URL is shown as is.
            wanted[name] |= {int(v) for v in params.getlist(name) if v.isdigit() and len(v) < 19}
    names: dict[str, dict[int, str]] = {
        name: dict(model.objects.filter(pk__in=wanted[name]).values_list("pk", field))
        for name, (model, field) in _NAMED.items()
        if wanted[name]
    }
    if wanted["assignee"]:
        people = get_user_model().objects.filter(pk__in=wanted["assignee"])
        names["assignee"] = {person.pk: person.get_full_name() or person.username
                             for person in people}  # fmt: skip
    fields = SignalFilterSet.base_filters
    special = {"assignee": {"me": _("me"), "nobody": _("nobody")}}
    described = {}
    for query, params in parsed.items():
        parts = []
        for name in params:
            field = fields.get(name)
            values = [value for value in params.getlist(name) if value != ""]
            if field is None or not values:
                continue
            choices = dict(field.extra.get("choices") or ())
            shown = []
            for value in values:
                if name in names and value.isdigit() and len(value) < 19:
                    shown.append(names[name].get(int(value), f"#{value}"))
                elif value in special.get(name, {}):
                    shown.append(str(special[name][value]))
                elif value in choices:
                    shown.append(str(choices[value]))
                elif name == "q":
                    shown.append(f"«{value}»")
                elif value in ("true", "false"):
                    shown.append(str(_("yes") if value == "true" else _("no")))
                else:
                    shown.append(value)
            parts.append(f"{field.label}: {', '.join(shown)}")
        described[query] = " · ".join(parts)
    return described
