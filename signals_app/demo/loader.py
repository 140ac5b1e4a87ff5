"""Build the demo region: reference data through the ORM, signals through COPY.

Signals are written with PostgreSQL COPY in chunks, because later benchmarks need a million
of them in minutes. Their statuses are reached by walking the workflow's transition table, and
every step writes the same SignalEvent rows the workflow services write.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import uuid
import zoneinfo
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import (
    Agency,
    Membership,
    Municipality,
    OfficialPage,
    Region,
    Role,
    User,
    WorkCalendar,
)
from agencies.services import calendar_default_for_region, calendar_sync
from signals_app.bulk import copy_rows, reserve_ids
from signals_app.demo import reference as ref
from signals_app.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Reply,
    Signal,
    SignalEvent,
    Source,
    Status,
)
from signals_app.sla.clock import ZERO, Clock, elapsed
from signals_app.sla.defaults import sla_defaults_install
from signals_app.sla.engine import (
    PolicyCandidate,
    deadline_due,
    policy_match,
    shift_by_pause,
    step_threshold,
)
from signals_app.sla.models import SLAPolicy, SLAPolicyVersion
from signals_app.sla.services import schedule_load, terms_of
from signals_app.workflow.services import signal_number_allocate, signal_number_format
from signals_app.workflow.transitions import transition_for

DEMO_PASSWORD = "demo-cur-74"  # noqa: S105 - printed for local evaluation, refused in production

# login, first name, last name, centre role or None, agency short name or None, agency role
DEMO_USERS = [
    ("analyst", "Анна", "Аналитикова", Role.ANALYST, None, None),
    ("analyst2", "Игорь", "Модераторов", Role.ANALYST, None, None),
    ("supervisor", "Сергей", "Руководителев", Role.SUPERVISOR, None, None),
    ("admin", "Ирина", "Администраторова", Role.ADMINISTRATOR, None, None),
    ("coordinator", "Олег", "Координаторов", None, "Администрация г. Челябинска", "coordinator"),
    ("executor", "Мария", "Исполнителева", None, "Администрация г. Челябинска", "executor"),
    ("health", "Павел", "Врачёв", None, "Минздрав", "coordinator"),
    ("utility", "Ольга", "Теплосетева", None, "ЧКТС", "executor"),
]

CHANNEL_MIX = [
    (Channel.VK, 44), (Channel.OK, 9), (Channel.TELEGRAM, 12), (Channel.POS, 26),
    (Channel.WIDGET, 4), (Channel.PHONE, 2), (Channel.EMAIL, 2), (Channel.API, 1),
]  # fmt: skip
ROUTES = ["1", "3", "8", "14", "18", "25", "64", "81", "108", "127"]


def demo_refused_in_production() -> None:
    if not settings.DEMO_USERS_ALLOWED:
        raise ImproperlyConfigured("Demo data and demo users are refused in production mode.")


@dataclass
class DemoReference:
    region: Region
    municipalities: list[Municipality]
    weights: list[float]
    admin_by_municipality: dict[int, int]
    top_of: dict[int, Municipality]
    agencies_by_key: dict[str, int]
    utilities: dict[tuple[str, str | None], int]
    schools: dict[str, list[int]]
    hospitals: dict[str, list[int]]
    transport: dict[str | None, int]
    subtopics: list[tuple[Category, dict[str, Any]]]
    sources: dict[str, Source]
    page_sources: list[Source] = field(default_factory=list)


def _agency(region: Region, name: str, short: str, kind: str, **extra: Any) -> Agency:
    agency, _ = Agency.objects.get_or_create(
        region=region, name=name, defaults={"short_name": short, "kind": kind, **extra}
    )
    return agency


@transaction.atomic
def demo_reference_load() -> DemoReference:
    """Create (or find) the demo region's reference data; safe to run again."""
    demo_refused_in_production()
    region, _ = Region.objects.get_or_create(code=ref.REGION["code"], defaults=ref.REGION)
    calendar = calendar_default_for_region(region=region)
    now_year = timezone.now().year
    for year in (now_year - 1, now_year, now_year + 1):
        calendar_sync(calendar=calendar, year=year)
    sla_defaults_install(region=region)

    municipalities: list[Municipality] = []
    weights: list[float] = []
    top_of: dict[int, Municipality] = {}
    for name, oktmo, weight in ref.CITY_OKRUGS:
        okrug, _ = Municipality.objects.get_or_create(
            oktmo=oktmo,
            defaults={"region": region, "name": name, "kind": Municipality.Kind.CITY_DISTRICT},
        )
        top_of[okrug.pk] = okrug
        if name == "Челябинск":
            for district_name, district_oktmo in ref.CHELYABINSK_DISTRICTS:
                district, _ = Municipality.objects.get_or_create(
                    oktmo=district_oktmo,
                    defaults={
                        "region": region,
                        "parent": okrug,
                        "name": district_name,
                        "kind": Municipality.Kind.INNER_DISTRICT,
                    },
                )
                top_of[district.pk] = okrug
                municipalities.append(district)
                weights.append(weight / len(ref.CHELYABINSK_DISTRICTS))
        else:
            municipalities.append(okrug)
            weights.append(weight)
    for name, oktmo, weight in ref.DISTRICTS:
        district, _ = Municipality.objects.get_or_create(
            oktmo=oktmo,
            defaults={"region": region, "name": name, "kind": Municipality.Kind.MUNICIPAL_DISTRICT},
        )
        top_of[district.pk] = district
        municipalities.append(district)
        weights.append(weight)

    agencies_by_key: dict[str, int] = {}
    gov = _agency(
        region, "Правительство Челябинской области", "Правительство", Agency.Kind.MINISTRY
    )
    for name, short, key in ref.MINISTRIES:
        agencies_by_key[key] = _agency(region, name, short, Agency.Kind.MINISTRY, parent=gov).pk
    admin_by_top: dict[int, int] = {}
    for okrug in {m.pk: m for m in top_of.values()}.values():
        if okrug.kind == Municipality.Kind.CITY_DISTRICT:
            title = (
                f"Администрация г. {okrug.name}"
                if okrug.name != "Челябинск"
                else "Администрация г. Челябинска"
            )
            if okrug.name != "Челябинск":
                title = f"Администрация города {okrug.name}"
        else:
            title = f"Администрация — {okrug.name}"
        admin = _agency(
            region, title, title, Agency.Kind.MUNICIPAL_ADMINISTRATION, municipality=okrug
        )
        admin_by_top[okrug.pk] = admin.pk
    chelyabinsk = next(m for m in top_of.values() if m.name == "Челябинск")
    for district in Municipality.objects.filter(parent=chelyabinsk):
        title = f"Администрация {district.name.replace('ский район', 'ского района')} г. Челябинска"
        _agency(
            region, title, title, Agency.Kind.MUNICIPAL_ADMINISTRATION,
            municipality=district, parent_id=admin_by_top[chelyabinsk.pk],
        )  # fmt: skip
    by_name = {m.name: m for m in top_of.values()}
    utilities: dict[tuple[str, str | None], int] = {}
    for name, short, city, key in ref.UTILITIES:
        agency = _agency(
            region, name, short, Agency.Kind.UTILITY,
            municipality=by_name.get(city) if city else None, parent_id=agencies_by_key["housing"],
        )  # fmt: skip
        utilities[(key, city)] = agency.pk
    transport: dict[str | None, int] = {}
    for name, short, city in ref.TRANSPORT:
        agency = _agency(
            region, name, short, Agency.Kind.TRANSPORT,
            municipality=by_name.get(city) if city else None, parent_id=agencies_by_key["roads"],
        )  # fmt: skip
        transport[city] = agency.pk
    for name, short in ref.FEDERAL:
        _agency(region, name, short, Agency.Kind.FEDERAL)
    schools: dict[str, list[int]] = {}
    for city, count in ref.SCHOOLS:
        municipality = by_name[city]
        for number in range(1, count + 1):
            school_no = number * 7 + 3
            name = f"МАОУ «СОШ № {school_no}» г. {city}"
            agency = _agency(
                region, name, f"Школа № {school_no} ({city})", Agency.Kind.SCHOOL,
                municipality=municipality, parent_id=admin_by_top[municipality.pk],
            )  # fmt: skip
            schools.setdefault(city, []).append(agency.pk)
    hospitals: dict[str, list[int]] = {}
    for city, count in ref.HOSPITALS:
        municipality = by_name[city]
        for number in range(1, count + 1):
            name = f"ГАУЗ «Городская клиническая больница № {number}» г. {city}"
            agency = _agency(
                region, name, f"ГКБ № {number} ({city})", Agency.Kind.HOSPITAL,
                municipality=municipality, parent_id=agencies_by_key["health"],
            )  # fmt: skip
            hospitals.setdefault(city, []).append(agency.pk)

    # Official VK pages of the ministries and administrations; their comments route there.
    page_agencies = Agency.objects.filter(
        region=region, kind__in=[Agency.Kind.MINISTRY, Agency.Kind.MUNICIPAL_ADMINISTRATION]
    ).order_by("pk")
    for index, agency in enumerate(page_agencies):
        group_id = str(170_000_000 + agency.pk * 7 + index)
        OfficialPage.objects.get_or_create(
            network=OfficialPage.Network.VK,
            external_id=f"{agency.pk}74",
            defaults={
                "agency": agency,
                "url": f"https://vk.com/club{group_id}",
                "name": agency.name,
            },
        )

    subtopics: list[tuple[Category, dict[str, Any]]] = []
    for order, (code, name, children) in enumerate(ref.TOPICS):
        topic, _ = Category.objects.get_or_create(
            region=region, code=code, defaults={"name": name, "order": order}
        )
        for child_order, (
            child_code,
            child_name,
            priority,
            responsible,
            season,
            templates,
        ) in enumerate(children):
            child, _ = Category.objects.get_or_create(
                region=region,
                code=f"{code}-{child_code}",
                defaults={
                    "name": child_name,
                    "parent": topic,
                    "default_priority": priority,
                    "order": child_order,
                },
            )
            subtopics.append(
                (child, {"responsible": responsible, "season": season, "templates": templates})
            )

    sources: dict[str, Source] = {}
    for channel, _weight in CHANNEL_MIX:
        source, _ = Source.objects.get_or_create(
            slug=f"demo-{channel}",
            defaults={
                "region": region,
                "name": f"{Channel(channel).label} — мониторинг",
                "channel": channel,
                "secret": uuid.uuid4().hex,
                "confirmation_code": uuid.uuid4().hex[:8] if channel == Channel.VK else "",
            },
        )
        sources[channel] = source
    for channel in (Channel.OPEN311, Channel.IMPORT):
        Source.objects.get_or_create(
            slug=f"demo-{channel}",
            defaults={
                "region": region,
                "name": Channel(channel).label,
                "channel": channel,
                "secret": uuid.uuid4().hex,
            },
        )
    page_sources = []
    for page in OfficialPage.objects.filter(agency__region=region).select_related("agency")[:12]:
        source, _ = Source.objects.get_or_create(
            slug=f"demo-vk-page-{page.pk}",
            defaults={
                "region": region,
                "name": f"VK: {page.agency}",
                "channel": Channel.VK,
                "official_page": page,
                "agency": page.agency,
                "secret": uuid.uuid4().hex,
                "confirmation_code": uuid.uuid4().hex[:8],
            },
        )
        page_sources.append(source)

    admin_by_municipality = {m.pk: admin_by_top[top_of[m.pk].pk] for m in municipalities}
    return DemoReference(
        region=region,
        municipalities=municipalities,
        weights=weights,
        admin_by_municipality=admin_by_municipality,
        top_of=top_of,
        agencies_by_key=agencies_by_key,
        utilities=utilities,
        schools=schools,
        hospitals=hospitals,
        transport=transport,
        subtopics=subtopics,
        sources=sources,
        page_sources=page_sources,
    )


@transaction.atomic
def demo_users_create(*, region: Region) -> list[tuple[str, str]]:
    """Create the demo users (idempotent); return (login, description) pairs."""
    demo_refused_in_production()
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    result = []
    for login, first, last, centre_role, agency_short, agency_role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=login,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_demo": True,
                "email": f"{login}@example.org",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if centre_role == Role.ADMINISTRATOR:
                user.is_staff = True
                user.is_superuser = True
            user.save()
        description = ""
        if centre_role:
            user.groups.add(groups[centre_role])
            user.regions.add(region)
            description = str(Role(centre_role).label)
        if agency_short:
            agency = Agency.objects.get(region=region, short_name=agency_short)
            Membership.objects.get_or_create(
                user=user, agency=agency, defaults={"role": agency_role}
            )
            description = f"{Membership.Role(agency_role).label}, {agency}"
        result.append((login, description))
    # The two analysts share the territories as curators: Chelyabinsk and the big cities for
    # one, the rest of the region for the other. Overdue signals reach their curator.
    municipalities = list(Municipality.objects.filter(region=region).order_by("oktmo"))
    big = [m for m in municipalities if m.oktmo.startswith("757")]
    rest = [m for m in municipalities if not m.oktmo.startswith("757")]
    User.objects.get(username="analyst").curated_municipalities.add(*big)
    User.objects.get(username="analyst2").curated_municipalities.add(*rest)
    return result


# --- signals ----------------------------------------------------------------------------------

SIGNAL_COLUMNS = (
    "id", "region_id", "number", "channel", "source_id", "external_id", "external_url",
    "thread_id", "author_name", "author_profile_url", "author_contact", "text", "posted_at",
    "received_at", "municipality_id", "address", "category_id", "priority", "status",
    "rejection_reason", "agency_id", "assignee_id", "is_mass_incident", "reacted_at",
    "answered_at", "resolved_at", "reopened_count", "version",
    "created_at", "updated_at", "sla_version_id", "sla_started_at", "sla_paused_at",
    "sla_paused_working", "sla_paused_calendar", "reaction_due_at", "answer_due_at",
    "next_deadline_at", "sla_next_check_at", "escalation_level", "is_overdue",
)  # fmt: skip
ESCALATION_COLUMNS = ("signal_id", "deadline", "level", "cycle", "target", "recipients", "fired_at")
EVENT_COLUMNS = (
    "signal_id",
    "kind",
    "actor_id",
    "from_status",
    "to_status",
    "changes",
    "reason",
    "created_at",
)
REPLY_COLUMNS = (
    "signal_id",
    "kind",
    "state",
    "text",
    "author_id",
    "reviewer_id",
    "review_comment",
    "submitted_at",
    "published_at",
    "created_at",
)

REJECT_REASONS = [
    "Спам",
    "Не является обращением",
    "Вопрос не в компетенции органов власти",
    "Повтор обращения",
]
ANSWERS = [
    "Добрый день! Информация передана в ответственную службу, работы будут выполнены в течение {days} дней.",
    "Здравствуйте! Специалисты выехали на место, неисправность устранена.",
    "Добрый день! Вопрос взят на контроль, работы включены в план на текущий месяц.",
    "Здравствуйте! Проведена проверка, управляющей компании выдано предписание.",
]


def _pick_agency(
    data: DemoReference, rnd: random.Random, responsible: str, municipality: Municipality
) -> int:
    top = data.top_of[municipality.pk]
    city = top.name
    if responsible == "admin":
        return data.admin_by_municipality[municipality.pk]
    if responsible == "school" and city in data.schools:
        return rnd.choice(data.schools[city])
    if responsible == "hospital" and city in data.hospitals:
        return rnd.choice(data.hospitals[city])
    if responsible == "transport":
        return data.transport.get(city) or data.transport[None]
    if (responsible, city) in data.utilities:
        return data.utilities[(responsible, city)]
    if (responsible, None) in data.utilities:
        return data.utilities[(responsible, None)]
    if responsible in data.agencies_by_key:
        return data.agencies_by_key[responsible]
    return data.admin_by_municipality[municipality.pk]


def _plan(rnd: random.Random) -> list[tuple[str, float]]:
    """A random sequence of (target status, hours after the previous step) from new."""
    if rnd.random() < 0.08:
        return [(Status.REJECTED, rnd.uniform(0.1, 3))]
    plan = [(Status.IN_PROGRESS, rnd.expovariate(1 / 1.5))]
    if rnd.random() < 0.1:
        plan.append((Status.AWAITING_INFO, rnd.uniform(0.5, 6)))
        if rnd.random() < 0.15:  # the citizen never answered
            return [*plan, (Status.REJECTED, 72 + rnd.uniform(0, 24))]
        plan.append((Status.IN_PROGRESS, rnd.uniform(2, 48)))
    plan.append((Status.REPLY_REVIEW, rnd.expovariate(1 / 20)))
    if rnd.random() < 0.1:  # returned for rework once
        plan += [
            (Status.IN_PROGRESS, rnd.uniform(0.5, 8)),
            (Status.REPLY_REVIEW, rnd.uniform(2, 24)),
        ]
    plan.append((Status.ANSWERED, rnd.uniform(0.2, 6)))
    if rnd.random() < 0.04:  # "not solved": reopened and answered again
        plan += [
            (Status.IN_PROGRESS, rnd.uniform(12, 96)),
            (Status.REPLY_REVIEW, rnd.uniform(4, 48)),
            (Status.ANSWERED, rnd.uniform(0.2, 6)),
        ]
    plan.append((Status.CLOSED, rnd.uniform(24, 96)))
    return plan


def _walk(rnd: random.Random, start: datetime, now: datetime) -> list[tuple[str, datetime, str]]:
    """A path of legal moves from new, each (target, time, action), cut at `now`."""
    path: list[tuple[str, datetime, str]] = []
    status, moment = Status.NEW, start
    for target, hours in _plan(rnd):
        moment += timedelta(hours=hours)
        if moment > now:
            break
        move = transition_for(status, target)
        assert move is not None, (status, target)  # the plan only follows the table
        path.append((target, moment, move.action))
        status = target
    return path


class _SignalFactory:
    def __init__(self, data: DemoReference, seed: int, now: datetime, days: int) -> None:
        self.data = data
        self.rnd = random.Random(seed)
        self.now = now
        self.days = days
        self.zone = zoneinfo.ZoneInfo(data.region.time_zone)
        self.channels = [c for c, _ in CHANNEL_MIX]
        self.channel_cum = list(itertools.accumulate(w for _, w in CHANNEL_MIX))
        self.muni_cum = list(itertools.accumulate(data.weights))
        self.batch = uuid.uuid4().hex[:8]
        self.analysts = list(
            User.objects.filter(groups__name=Role.ANALYST).values_list("pk", flat=True)
        ) or [None]
        members = Membership.objects.values_list("agency_id", "user_id")
        self.staff: dict[int, list[int]] = {}
        for agency_id, user_id in members:
            self.staff.setdefault(agency_id, []).append(user_id)
        # Deadlines: the region's policies (matched by channel) on the region's calendar.
        calendar = WorkCalendar.objects.filter(region=data.region, is_default=True).first()
        self.schedule = schedule_load(calendar=calendar, time_zone=data.region.time_zone)
        candidates = [
            PolicyCandidate(p.pk, tuple(p.channels), p.category_id, p.priority, p.order)
            for p in SLAPolicy.objects.filter(region=data.region, is_active=True)
        ]
        latest = {
            v.policy_id: v
            for v in SLAPolicyVersion.objects.filter(policy__region=data.region).order_by("number")
        }
        self.policy_for_channel = {}
        for channel, _weight in CHANNEL_MIX:
            match = policy_match(
                candidates, channel=channel, category_id=None, topic_id=None, priority=""
            )
            if match is not None and match.policy_id in latest:
                version = latest[match.policy_id]
                self.policy_for_channel[channel] = (version.pk, terms_of(version))
        # Subtopic weights per month, for seasonality.
        self.by_month: list[tuple[list[int], list[float]]] = []
        for month in range(12):
            weights = []
            for _category, meta in data.subtopics:
                season = meta["season"]
                weights.append(ref.SEASONS[season][month] if season else 1.0)
            self.by_month.append((list(range(len(weights))), list(itertools.accumulate(weights))))

    def received_times(self, count: int) -> list[datetime]:
        rnd = self.rnd
        start = self.now - timedelta(days=self.days)
        times = []
        for _ in range(count):
            day = start + timedelta(days=rnd.random() * self.days)
            local = day.astimezone(self.zone)
            # Citizens write mostly in the daytime and the evening.
            hour = min(23, max(0, int(rnd.gauss(14, 4.5))))
            local = local.replace(hour=hour, minute=rnd.randrange(60), second=rnd.randrange(60))
            moment = local.astimezone(zoneinfo.ZoneInfo("UTC"))
            times.append(min(moment, self.now - timedelta(minutes=1)))
        times.sort()
        return times

    def signal(
        self, signal_id: int, number: str, received: datetime, index: int
    ) -> tuple[tuple, list[tuple], list[tuple]]:
        rnd, data = self.rnd, self.data
        channel = self.channels[
            bisect.bisect(self.channel_cum, rnd.random() * self.channel_cum[-1])
        ]
        municipality = data.municipalities[
            bisect.bisect(self.muni_cum, rnd.random() * self.muni_cum[-1])
        ]
        local_month = received.astimezone(self.zone).month - 1
        indexes, cum = self.by_month[local_month]
        category, meta = data.subtopics[indexes[bisect.bisect(cum, rnd.random() * cum[-1])]]
        top = data.top_of[municipality.pk]
        streets = ref.CITY_STREETS.get(top.name, ref.GENERIC_STREETS)
        address = f"{rnd.choice(streets)}, д. {rnd.randint(1, 180)}"
        place = top.name
        # One in twelve says little about its subject (the analyst filed it from context).
        templates = ref.VAGUE_TEXTS if rnd.random() < 0.08 else meta["templates"]
        text = (
            rnd.choice(ref.PREFIXES)
            + rnd.choice(templates).format(
                address=f"{place}, {address}", city=place, days=rnd.randint(2, 9),
                hours=rnd.randint(3, 30), route=rnd.choice(ROUTES),
            )
            + rnd.choice(ref.SUFFIXES)
        )  # fmt: skip
        source = data.sources[channel]
        agency_id = _pick_agency(data, rnd, meta["responsible"], municipality)
        if channel == Channel.VK and data.page_sources and rnd.random() < 0.3:
            source = rnd.choice(data.page_sources)
            agency_id = source.agency_id
        first, last = rnd.choice(ref.FIRST_NAMES), rnd.choice(ref.LAST_NAMES)
        if first.endswith("а") or first.endswith("я"):
            last += "а"
        author = f"{first} {last}"
        profile = ""
        contact = ""
        external_url = ""
        external_id = f"demo-{self.batch}-{index}"
        if channel in (Channel.VK, Channel.OK):
            uid = rnd.randint(10_000, 900_000_000)
            profile = (
                f"https://vk.com/id{uid}"
                if channel == Channel.VK
                else f"https://ok.ru/profile/{uid}"
            )
            external_url = (
                f"https://vk.com/wall-{170000000 + index % 977}_{index}"
                if channel == Channel.VK
                else ""
            )
        elif channel == Channel.TELEGRAM:
            profile = f"https://t.me/user{rnd.randint(1000, 999999)}"
        elif channel in (Channel.POS, Channel.PHONE, Channel.WIDGET):
            contact = f"+7 9{rnd.randint(0, 99):02d} {rnd.randint(100, 999)}-{rnd.randint(10, 99)}-{rnd.randint(10, 99)}"
        elif channel == Channel.EMAIL:
            contact = f"citizen{rnd.randint(1, 99999)}@example.org"

        path = _walk(rnd, received, self.now)
        events = [
            (
                signal_id,
                SignalEvent.Kind.CREATED,
                None,
                "",
                Status.NEW,
                json.dumps({"channel": channel}),
                "",
                received,
            )
        ]
        replies: list[tuple] = []
        status = Status.NEW
        reacted = answered = resolved = None
        reason = ""
        reopened = 0
        analyst = rnd.choice(self.analysts)
        staff = self.staff.get(agency_id, [])
        executor = rnd.choice(staff) if staff else None
        assignee = None
        routed = False
        for target, moment, action in path:
            actor = analyst
            step_reason = ""
            if action == "route":
                events.append(
                    (
                        signal_id,
                        SignalEvent.Kind.ROUTED,
                        analyst,
                        "",
                        "",
                        json.dumps({"agency": [None, agency_id]}),
                        "",
                        moment,
                    )
                )
                routed = True
                reacted = reacted or moment + timedelta(minutes=rnd.randint(5, 90))
                assignee = executor
            elif action == "reject":
                step_reason = reason = rnd.choice(REJECT_REASONS)
            elif action == "request_info":
                actor = executor
                step_reason = "Уточните, пожалуйста, точный адрес и номер подъезда."
            elif action == "resume":
                actor = executor
            elif action == "submit_reply":
                actor = executor
                replies.append(
                    [
                        signal_id,
                        Reply.Kind.FINAL,
                        Reply.State.SUBMITTED,
                        rnd.choice(ANSWERS).format(days=rnd.randint(3, 14)),
                        executor,
                        None,
                        "",
                        moment,
                        None,
                        moment,
                    ]
                )
                events.append(
                    (
                        signal_id,
                        SignalEvent.Kind.REPLY_SUBMITTED,
                        executor,
                        "",
                        "",
                        "{}",
                        "",
                        moment,
                    )
                )
            elif action == "return_reply":
                step_reason = "Ответ неполный: укажите сроки выполнения работ."
                replies[-1][2] = Reply.State.RETURNED
                replies[-1][5] = analyst
                replies[-1][6] = step_reason
            elif action == "approve_reply":
                replies[-1][2] = Reply.State.PUBLISHED
                replies[-1][5] = analyst
                replies[-1][8] = moment
                events.append(
                    (signal_id, SignalEvent.Kind.REPLY_APPROVED, analyst, "", "", "{}", "", moment)
                )
                answered = moment
            elif action == "close":
                resolved = moment
            elif action == "reopen":
                step_reason = "Заявитель сообщил, что проблема не решена."
                reopened += 1
                resolved = None
            events.append(
                (
                    signal_id,
                    SignalEvent.Kind.STATUS_CHANGED,
                    actor,
                    status,
                    target,
                    "{}",
                    step_reason,
                    moment,
                )
            )
            status = target
        if status != Status.REJECTED:
            reason = ""
        if not routed:
            agency_id_value = None
            assignee = None
        else:
            agency_id_value = agency_id
        last_change = path[-1][1] if path else received
        sla = self._sla(channel, received, path, status, reacted, answered, resolved, signal_id)
        row = (
            signal_id, data.region.pk, number, channel, source.pk, external_id, external_url,
            "", author, profile, contact, text, received - timedelta(minutes=rnd.randint(1, 30)),
            received, municipality.pk, address, category.pk, category.default_priority, status,
            reason, agency_id_value, assignee, False, reacted, answered, resolved, reopened,
            1 + len(path), received, last_change, *sla[0],
        )  # fmt: skip
        return row, events + sla[1], [tuple(r) for r in replies], sla[2]

    def _sla(self, channel, received, path, status, reacted, answered, resolved, signal_id):  # type: ignore[no-untyped-def]
        """Deadline columns, SLA events and the ladder steps that fired, as the engine would."""
        found = self.policy_for_channel.get(channel)
        if found is None:
            return (None, None, None, ZERO, ZERO, None, None, None, None, 0, False), [], []
        version_id, terms = found
        schedule = self.schedule
        fulfilled = {"reaction": reacted, "answer": answered, "resolution": resolved}
        dues = {
            kind: deadline_due(received, term, schedule) for kind, term in terms.deadlines.items()
        }
        events: list[tuple] = []
        paused_working = paused_calendar = ZERO
        paused_at = None
        previous = Status.NEW
        for target, moment, _action in path:
            if target == Status.AWAITING_INFO:
                paused_at = moment
                events.append(
                    (signal_id, SignalEvent.Kind.SLA_PAUSED, None, "", "", "{}", "", moment)
                )
            elif previous == Status.AWAITING_INFO and paused_at is not None:
                working = elapsed_working(paused_at, moment, schedule)
                calendar = moment - paused_at
                for kind, term in terms.deadlines.items():
                    done = fulfilled.get(kind)
                    if done is None or done > moment:
                        dues[kind] = shift_by_pause(dues[kind], term, working, calendar, schedule)
                paused_working += working
                paused_calendar += calendar
                events.append((
                    signal_id, SignalEvent.Kind.SLA_RESUMED, None, "", "",
                    json.dumps({"paused_from": paused_at.isoformat(), "working_seconds": working.total_seconds(),
                                "calendar_seconds": calendar.total_seconds()}),
                    "", moment,
                ))  # fmt: skip
                paused_at = None
            previous = target
        open_ = status in OPEN_STATUSES
        running = [due for kind, due in dues.items() if fulfilled.get(kind) is None]
        next_deadline = min(running) if running and open_ else None
        # The ladder: steps whose threshold came while their deadline was still running fired.
        escalations = []
        level = 0
        overdue = False
        upcoming = None
        spans: dict[str, timedelta] = {}
        for step in terms.steps:
            term = terms.deadlines.get(step.deadline)
            if term is None:
                continue
            if step.deadline not in spans and term.clock != Clock.CALENDAR:
                spans[step.deadline] = elapsed_working(received, dues[step.deadline], schedule)
            at = step_threshold(
                step, received, dues[step.deadline], term, schedule, spans.get(step.deadline)
            )
            done = fulfilled.get(step.deadline)
            cutoff = min(done, self.now) if done else self.now
            if status == Status.REJECTED:
                cutoff = min(cutoff, path[-1][1])
            if at <= cutoff and not (
                status == Status.AWAITING_INFO and paused_at and at > paused_at
            ):
                escalations.append((signal_id, step.deadline, step.level, 1, step.target, 0, at))
                level = max(level, step.level)
                overdue = overdue or (step.flag_overdue and done is None)
            elif (
                open_ and done is None and paused_at is None and (upcoming is None or at < upcoming)
            ):
                upcoming = at
        due_of = {kind: dues.get(kind) for kind in ("reaction", "answer", "resolution")}
        columns = (
            version_id, received, paused_at, paused_working, paused_calendar,
            due_of["reaction"], due_of["answer"], next_deadline, upcoming, level, overdue,
        )  # fmt: skip
        return columns, events, escalations


def demo_signals_load(
    *,
    data: DemoReference,
    count: int,
    seed: int = 74,
    days: int = 182,
    chunk: int = 50_000,
    progress=None,
) -> int:
    """Insert `count` demo signals with their events and replies; return how many were written."""
    demo_refused_in_production()
    now = timezone.now()
    factory = _SignalFactory(data, seed, now, days)
    times = factory.received_times(count)
    chunks = [times[start : start + chunk] for start in range(0, count, chunk)]
    written = 0
    # Python builds the rows of the next chunk in a thread while PostgreSQL ingests and
    # checks the current one, so both cores work. The thread never touches the database.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = (
            pool.submit(_generate, factory, reserve_ids(Signal, len(chunks[0])), chunks[0], 0)
            if chunks
            else None
        )
        for index, part in enumerate(chunks):
            assert pending is not None
            rows, events, replies, escalations = pending.result()
            if index + 1 < len(chunks):
                following = chunks[index + 1]
                pending = pool.submit(
                    _generate,
                    factory,
                    reserve_ids(Signal, len(following)),
                    following,
                    (index + 1) * chunk,
                )
            with transaction.atomic(), connection.cursor() as cursor:
                # Numbers are taken inside the inserting transaction, as signal_create does.
                numbers = _numbers(data.region, part, factory.zone)
                numbered = (
                    (*row[:2], number, *row[3:]) for row, number in zip(rows, numbers, strict=True)
                )
                copy_rows(cursor, "signals_app_signal", SIGNAL_COLUMNS, numbered)
                copy_rows(cursor, "signals_app_signalevent", EVENT_COLUMNS, events)
                copy_rows(cursor, "signals_app_reply", REPLY_COLUMNS, replies)
                copy_rows(cursor, "signals_app_escalation", ESCALATION_COLUMNS, escalations)
            written += len(part)
            if progress:
                progress(written, count)
    # Fresh planner statistics: without them the first queries after a bulk load pick
    # plans made for an empty table.
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE signals_app_signal, signals_app_signalevent, signals_app_reply,"
            " signals_app_escalation"
        )
    return written


def elapsed_working(start: datetime, end: datetime, schedule) -> timedelta:  # type: ignore[no-untyped-def]
    return elapsed(start, end, Clock.WORKING_HOURS, schedule)


def _generate(
    factory: _SignalFactory, ids: list[int], times: list[datetime], first_index: int
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Build one chunk's rows; the number column is filled in later, inside the transaction."""
    rows, events, replies, escalations = [], [], [], []
    for offset, (signal_id, received) in enumerate(zip(ids, times, strict=True)):
        row, row_events, row_replies, row_escalations = factory.signal(
            signal_id, "", received, first_index + offset
        )
        rows.append(row)
        events.extend(row_events)
        replies.extend(row_replies)
        escalations.extend(row_escalations)
    return rows, events, replies, escalations


def _numbers(region: Region, times: list[datetime], zone: zoneinfo.ZoneInfo) -> list[str]:
    years = [moment.astimezone(zone).year for moment in times]
    numbers: list[str] = []
    for year, group in itertools.groupby(years):
        size = len(list(group))
        first = signal_number_allocate(region=region, year=year, count=size)
        numbers.extend(
            signal_number_format(region_code=region.code, year=year, value=first + i)
            for i in range(size)
        )
    return numbers
