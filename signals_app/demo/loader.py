"""Build the demo region: reference data through the ORM, signals through the workflow.

Each demo signal is a plan — who wrote what and where, and the course it took since (routed,
taken, asked, answered, returned, reopened, closed) — handed to `signals_create_many` in chunks:
the workflow checks every move against the transition table and writes the status, deadlines,
replies, escalations and timeline with COPY, because later benchmarks need a million of them.
"""

from __future__ import annotations

import bisect
import itertools
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
)
from agencies.services import calendar_default_for_region, calendar_sync
from signals_app.choices import Channel
from signals_app.demo import reference as ref
from signals_app.models import (
    Category,
    Source,
)
from signals_app.sla.defaults import sla_defaults_install
from signals_app.workflow.services import PlanStep, SignalPlan
from signals_app.workflow.services.create import Prepared, signals_prepare, signals_write

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
QUESTION = "Уточните, пожалуйста, точный адрес и номер подъезда."
REWORK = "Ответ неполный: укажите сроки выполнения работ."
NOT_SOLVED = "Заявитель сообщил, что проблема не решена."
NO_ANSWER = "Заявитель не ответил на запрос уточнения."


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


def _course(rnd: random.Random) -> list[tuple[str, float]]:
    """A random course of actions from arrival: (action, hours after the previous one)."""
    if rnd.random() < 0.08:
        return [("reject", rnd.uniform(0.1, 3))]
    course = [("route", rnd.expovariate(1 / 1.5))]
    if rnd.random() < 0.1:
        course.append(("request_info", rnd.uniform(0.5, 6)))
        if rnd.random() < 0.15:  # the citizen never answered
            return [*course, ("reject", 72 + rnd.uniform(0, 24))]
        course.append(("resume", rnd.uniform(2, 48)))
    course.append(("reply", rnd.expovariate(1 / 20)))
    if rnd.random() < 0.1:  # returned for rework once
        course += [("return", rnd.uniform(0.5, 8)), ("reply", rnd.uniform(2, 24))]
    course.append(("approve", rnd.uniform(0.2, 6)))
    if rnd.random() < 0.04:  # "not solved": reopened and answered again
        course += [
            ("reopen", rnd.uniform(12, 96)),
            ("reply", rnd.uniform(4, 48)),
            ("approve", rnd.uniform(0.2, 6)),
        ]
    course.append(("close", rnd.uniform(24, 96)))
    return course


class _SignalFactory:
    """Demo signals as plans: who wrote what, where, and what happened to it since. The
    workflow (`signals_create_many`) turns each plan into the signal, its status, deadlines,
    replies, escalations and timeline, checking every move against the transition table."""

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
        self.agencies = Agency.objects.in_bulk(
            list(Agency.objects.filter(region=data.region).values_list("pk", flat=True))
        )
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

    def plan(self, received: datetime, index: int) -> SignalPlan:
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
        profile = contact = external_url = ""
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
        fields = {
            "region": data.region, "channel": channel, "source": source,
            "external_id": f"demo-{self.batch}-{index}", "external_url": external_url,
            "author_name": f"{first} {last}", "author_profile_url": profile,
            "author_contact": contact, "text": text,
            "posted_at": received - timedelta(minutes=rnd.randint(1, 30)),
            "received_at": received, "municipality_id": municipality.pk, "address": address,
            "category": category, "priority": category.default_priority,
        }  # fmt: skip
        steps = self._steps(received, self.agencies[agency_id])
        return SignalPlan(fields=fields, steps=steps, created_at=received, history=True)

    def _steps(self, received: datetime, agency: Agency) -> list[PlanStep]:
        """The course of the signal, as plan steps with their moments and actors, up to now."""
        rnd = self.rnd
        analyst = rnd.choice(self.analysts)
        staff = self.staff.get(agency.pk, [])
        executor = rnd.choice(staff) if staff else None
        steps: list[PlanStep] = []
        moment = received
        for action, hours in _course(rnd):
            moment += timedelta(hours=hours)
            if moment > self.now:
                break
            by_agency = action in ("request_info", "resume", "reply")
            step = PlanStep(action, at=moment, actor_id=executor if by_agency else analyst)
            if action == "route":
                step.agency, step.assignee_id = agency, executor
            elif action == "reject":
                # Spam and the like at once, or no answer to the question in three days.
                step.reason = rnd.choice(REJECT_REASONS) if not steps else NO_ANSWER
            elif action == "request_info":
                step.reason = QUESTION
            elif action == "reply":
                step.text = rnd.choice(ANSWERS).format(days=rnd.randint(3, 14))
            elif action == "return":
                step.reason = REWORK
            elif action == "reopen":
                step.reason = NOT_SOLVED
            steps.append(step)
            if action == "route" and executor is not None:
                # The executor reacts within the next hour or two (before whatever comes next).
                steps.append(
                    PlanStep("take", at=moment + timedelta(minutes=rnd.randint(5, 90)),
                             actor_id=executor)
                )  # fmt: skip
        return _take_in_time(steps, self.now)


def _take_in_time(steps: list[PlanStep], now: datetime) -> list[PlanStep]:
    """Keep an executor's reaction before the next step (and before now)."""
    for index, step in enumerate(steps):
        if step.action != "take":
            continue
        following = steps[index + 1].at if index + 1 < len(steps) else now
        route_at = steps[index - 1].at
        step.at = max(route_at, min(step.at, following - timedelta(seconds=1)))
    return [step for step in steps if step.at <= now]


def demo_signals_load(
    *,
    data: DemoReference,
    count: int,
    seed: int = 74,
    days: int = 182,
    chunk: int = 10_000,
    progress=None,
) -> int:
    """Create `count` demo signals with their histories; return how many were written."""
    demo_refused_in_production()
    now = timezone.now()
    factory = _SignalFactory(data, seed, now, days)
    times = factory.received_times(count)
    written = 0
    cache: dict = {}

    def prepare(start: int) -> Prepared:
        plans = [
            factory.plan(received, start + offset)
            for offset, received in enumerate(times[start : start + chunk])
        ]
        return signals_prepare(plans, now=now, cache=cache)

    # The next chunk is prepared in a thread (its own database connection, only reading) while
    # the current one is written: Python and PostgreSQL work at the same time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(prepare, 0) if times else None
        for start in range(0, count, chunk):
            assert pending is not None
            prepared = pending.result()
            if start + chunk < count:
                pending = pool.submit(prepare, start + chunk)
            signals_write(prepared)
            written += len(prepared.plans)
            if progress:
                progress(written, count)
        pool.submit(lambda: connection.close()).result()  # the thread's own connection
    # Fresh planner statistics: without them the first queries after a bulk load pick
    # plans made for an empty table.
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE signals_app_signal, signals_app_signalevent, signals_app_reply,"
            " signals_app_escalation"
        )
    return written
