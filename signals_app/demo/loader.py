"""Build the demo region's reference data through the ORM: territories, agencies and their
pages, topics, sources, calendars, policies and the demo users. Its signals: `demo.history`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
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
from signals_app.demo import territory, topics
from signals_app.models import (
    Category,
    OutsideBody,
    RetentionPolicy,
    Source,
)
from signals_app.sla.defaults import sla_defaults_install

DEMO_PASSWORD = "demo-cur-74"  # noqa: S105 - printed for local evaluation, refused in production

# login, first name, last name, centre role or None, agency short name or None, agency role
DEMO_USERS = [
    ("analyst", "Анна", "Аналитикова", Role.ANALYST, None, None),
    ("analyst2", "Игорь", "Модераторов", Role.ANALYST, None, None),
    ("supervisor", "Сергей", "Руководителев", Role.SUPERVISOR, None, None),
    ("admin", "Ирина", "Администраторова", Role.ADMINISTRATOR, None, None),
    ("coordinator", "Олег", "Координаторов", None, "Адм. Челябинск", "coordinator"),
    ("executor", "Мария", "Исполнителева", None, "Адм. Челябинск", "executor"),
    ("health", "Павел", "Врачёв", None, "Минздрав", "coordinator"),
    ("utility", "Ольга", "Теплосетева", None, "ЧКТС", "executor"),
    ("volunteer", "Вера", "Волонтёрова", Role.VOLUNTEER, None, None),
]

CHANNEL_MIX = [
    (Channel.VK, 44), (Channel.OK, 9), (Channel.TELEGRAM, 12), (Channel.POS, 26),
    (Channel.WIDGET, 4), (Channel.PHONE, 2), (Channel.EMAIL, 2), (Channel.API, 1),
]  # fmt: skip
DEMO_OUTSIDE_BODIES = [
    ("УК «Жилсервис»", "management", "dispatch@zhilservis.example.ru"),
    ("Росреестр, управление по области", "federal", "obrashenia@rosreestr.example.ru"),
    ("Водоканал (ресурсоснабжающая организация)", "utility", "info@vodokanal.example.ru"),
]
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
    agency, created = Agency.objects.get_or_create(
        region=region, name=name, defaults={"short_name": short, "kind": kind, **extra}
    )
    if not created and agency.short_name in ("", agency.name) and short != agency.short_name:
        agency.short_name = short  # a demo loaded before short names were given
        agency.save(update_fields=["short_name"])
    return agency


def _short_place(name: str) -> str:
    """«Ашинский муниципальный район» → «Ашинский р-н»: a municipality as a column shows it."""
    for long, short in ((" муниципальный район", " р-н"), (" муниципальный округ", " МО"),
                        (" район", " р-н")):  # fmt: skip
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


@transaction.atomic
def demo_reference_load() -> DemoReference:
    """Create (or find) the demo region's reference data; safe to run again."""
    demo_refused_in_production()
    region, _ = Region.objects.get_or_create(
        code=territory.REGION["code"], defaults=territory.REGION
    )
    calendar = calendar_default_for_region(region=region)
    now_year = timezone.now().year
    for year in (now_year - 1, now_year, now_year + 1):
        calendar_sync(calendar=calendar, year=year)
    sla_defaults_install(region=region)
    # The retention of personal data, as a centre starts it: counted nightly (a dry run) until
    # an administrator switches it on.
    RetentionPolicy.objects.get_or_create(region=region)
    # Organisations outside the system that signals are forwarded to (with a mailbox set up).
    for name, kind, email in DEMO_OUTSIDE_BODIES:
        OutsideBody.objects.get_or_create(
            region=region, name=name, defaults={"kind": kind, "email": email}
        )

    municipalities: list[Municipality] = []
    weights: list[float] = []
    top_of: dict[int, Municipality] = {}
    for name, oktmo, weight in territory.CITY_OKRUGS:
        okrug, _ = Municipality.objects.get_or_create(
            oktmo=oktmo,
            defaults={"region": region, "name": name, "kind": Municipality.Kind.CITY_DISTRICT},
        )
        top_of[okrug.pk] = okrug
        if name == "Челябинск":
            for district_name, district_oktmo in territory.CHELYABINSK_DISTRICTS:
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
                weights.append(weight / len(territory.CHELYABINSK_DISTRICTS))
        else:
            municipalities.append(okrug)
            weights.append(weight)
    for name, oktmo, weight in territory.DISTRICTS:
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
    for name, short, key in territory.MINISTRIES:
        ministry = _agency(region, name, short, Agency.Kind.MINISTRY, parent=gov)
        if key in territory.SYNONYMS and not ministry.synonyms:
            ministry.synonyms = territory.SYNONYMS[key]
            ministry.save(update_fields=["synonyms"])
        agencies_by_key[key] = ministry.pk
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
            region, title, f"Адм. {_short_place(okrug.name)}",
            Agency.Kind.MUNICIPAL_ADMINISTRATION, municipality=okrug,
        )  # fmt: skip
        admin_by_top[okrug.pk] = admin.pk
    chelyabinsk = next(m for m in top_of.values() if m.name == "Челябинск")
    for district in Municipality.objects.filter(parent=chelyabinsk):
        title = f"Администрация {district.name.replace('ский район', 'ского района')} г. Челябинска"
        _agency(
            region, title, f"Адм. {_short_place(district.name)} (Челябинск)",
            Agency.Kind.MUNICIPAL_ADMINISTRATION,
            municipality=district, parent_id=admin_by_top[chelyabinsk.pk],
        )  # fmt: skip
    by_name = {m.name: m for m in top_of.values()}
    utilities: dict[tuple[str, str | None], int] = {}
    for name, short, city, key in territory.UTILITIES:
        agency = _agency(
            region, name, short, Agency.Kind.UTILITY,
            municipality=by_name.get(city) if city else None, parent_id=agencies_by_key["housing"],
        )  # fmt: skip
        utilities[(key, city)] = agency.pk
    transport: dict[str | None, int] = {}
    for name, short, city in territory.TRANSPORT:
        agency = _agency(
            region, name, short, Agency.Kind.TRANSPORT,
            municipality=by_name.get(city) if city else None, parent_id=agencies_by_key["roads"],
        )  # fmt: skip
        transport[city] = agency.pk
    for name, short in territory.FEDERAL:
        _agency(region, name, short, Agency.Kind.FEDERAL)
    schools: dict[str, list[int]] = {}
    for city, count in territory.SCHOOLS:
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
    for city, count in territory.HOSPITALS:
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
    for order, (code, name, children) in enumerate(topics.TOPICS):
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
    for channel in (Channel.MAX, Channel.VISIT, Channel.OPEN311, Channel.IMPORT):
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
