"""The demo region's vote «Формирование комфортной городской среды»: three towns, their
public spaces and yards, voting open around today so that the pages can be tried at once
(the real vote runs in spring for about six weeks)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from agencies.models import Agency, Municipality, Region
from signals_app.votes.models import Campaign, Participation, Phase, VoteObject

# town: population, [(kind, name, address, cost in millions)]
DEMO_OBJECTS = {
    "Магнитогорск": (410_000, [
        ("territory", "Сквер у Вечного огня", "пр. Ленина, 72", "18.5"),
        ("territory", "Набережная реки Урал, второй этап", "ул. Набережная", "44.0"),
        ("yard", "Двор на ул. Советской, 141–145", "ул. Советская, 141", "6.2"),
        ("design", "Дизайн-проект площади Народных гуляний", "пл. Народных гуляний", "25.0"),
    ]),
    "Златоуст": (160_000, [
        ("territory", "Парк имени Пушкина", "ул. Таганайская, 1", "21.0"),
        ("territory", "Сквер у Дворца культуры металлургов", "пр. им. Ю. А. Гагарина, 1", "9.8"),
        ("yard", "Двор на ул. 40-летия Победы, 19", "ул. 40-летия Победы, 19", "4.1"),
    ]),
    "Копейск": (150_000, [
        ("territory", "Парк Победы", "пр. Славы", "16.0"),
        ("territory", "Бульвар на ул. Сутягина", "ул. Сутягина", "7.5"),
        ("yard", "Двор на ул. Ленина, 48", "ул. Ленина, 48", "3.9"),
    ]),
}  # fmt: skip


def demo_votes_load(*, region: Region) -> Campaign | None:
    """The demo campaign (once): voting from a week ago to a month ahead, one object a voter,
    the two most voted of each town win."""
    today = timezone.localdate()
    if Campaign.objects.filter(region=region).exists():
        return None
    campaign = Campaign.objects.create(
        region=region, year=today.year, phase=Phase.VOTING,
        title=f"Формирование комфортной городской среды — {today.year + 1}",
        starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=30),
        winners=Campaign.Winners.TOP, winners_count=2,
    )  # fmt: skip
    for town, (population, objects) in DEMO_OBJECTS.items():
        place = Municipality.objects.filter(region=region, name=town).first()
        if place is None:
            continue
        Municipality.objects.filter(pk=place.pk).update(population=population)
        Participation.objects.create(campaign=campaign, municipality=place,
                                     budget=Decimal("40000000"))  # fmt: skip
        agency = Agency.objects.filter(region=region, municipality=place).order_by("pk").first()
        VoteObject.objects.bulk_create([
            VoteObject(campaign=campaign, municipality=place, kind=kind, name=name,
                       address=f"{town}, {address}", build_year=today.year + 1,
                       cost=Decimal(cost) * 1_000_000, agency=agency,
                       description="Благоустройство по программе «Формирование комфортной "
                                   "городской среды»: покрытие, освещение, скамейки, озеленение.")
            for kind, name, address, cost in objects
        ])  # fmt: skip
    return campaign
