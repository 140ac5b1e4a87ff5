"""The demo region's signals: each a plan — who wrote what and where, and the course it took
since (routed, taken, asked, answered, returned, reopened, closed) — handed to the workflow in
chunks (`signals_prepare` / `signals_write`): it checks every move against the transition
table and writes the status, deadlines, replies, escalations and timeline with COPY."""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
import zoneinfo
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from agencies.models import Agency, Membership, Municipality, Role, User
from signals_app.choices import Channel
from signals_app.demo import territory, texts, topics
from signals_app.demo.loader import CHANNEL_MIX, ROUTES, DemoReference, demo_refused_in_production
from signals_app.workflow.services import PlanStep, SignalPlan
from signals_app.workflow.services.create import Prepared, signals_prepare, signals_write

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
                weights.append(topics.SEASONS[season][month] if season else 1.0)
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
        streets = territory.CITY_STREETS.get(top.name, territory.GENERIC_STREETS)
        address = f"{rnd.choice(streets)}, д. {rnd.randint(1, 180)}"
        place = top.name
        # One in twelve says little about its subject (the analyst filed it from context).
        templates = texts.VAGUE_TEXTS if rnd.random() < 0.08 else meta["templates"]
        text = (
            rnd.choice(texts.PREFIXES)
            + rnd.choice(templates).format(
                address=f"{place}, {address}", city=place, days=rnd.randint(2, 9),
                hours=rnd.randint(3, 30), route=rnd.choice(ROUTES),
            )
            + rnd.choice(texts.SUFFIXES)
        )  # fmt: skip
        source = data.sources[channel]
        agency_id = _pick_agency(data, rnd, meta["responsible"], municipality)
        if channel == Channel.VK and data.page_sources and rnd.random() < 0.3:
            source = rnd.choice(data.page_sources)
            agency_id = source.agency_id
        first, last = rnd.choice(texts.FIRST_NAMES), rnd.choice(texts.LAST_NAMES)
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


def demo_outbreak_load(
    *,
    data: DemoReference,
    place: str = "Копейск",
    subtopic: str = "heating",
    count: int = 36,
    hours: int = 8,
    seed: int = 75,
) -> int:
    """A spike in the last hours, for the early warning to find: `count` new signals of one
    subtopic from one municipality (the demo's «отопление, Копейск»)."""
    demo_refused_in_production()
    now = timezone.now()
    factory = _SignalFactory(data, seed, now, 1)
    municipality = next(m for m in data.municipalities if m.name == place)
    category, meta = next((c, m) for c, m in data.subtopics if c.code.endswith(subtopic))
    streets = territory.CITY_STREETS.get(place, territory.GENERIC_STREETS)
    plans = []
    for index in range(count):
        received = now - timedelta(hours=hours) + index * timedelta(hours=hours) / count
        plan = factory.plan(received, 900_000 + index)
        address = f"{factory.rnd.choice(streets)}, д. {factory.rnd.randint(1, 60)}"
        text = factory.rnd.choice(meta["templates"]).format(
            address=f"{place}, {address}", city=place, days=3, hours=12, route="1"
        )
        plan.fields.update(municipality_id=municipality.pk, category=category, text=text,
                           address=address, priority=category.default_priority)  # fmt: skip
        plans.append(SignalPlan(fields=plan.fields, steps=[], created_at=received, history=True))
    signals_write(signals_prepare(plans, now=now, cache={}))
    return count
