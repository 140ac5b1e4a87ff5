"""Reading the votes: the ballots, the tallies (counted votes only; annulled ones apart), the
turnout against the municipality's population, what the public may see and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from agencies.models import Municipality
from signals_app.votes.models import (
    Campaign,
    Milestone,
    ObjectPhoto,
    Participation,
    Phase,
    Vote,
    VoteObject,
    Voter,
)

PUBLIC_PHASES = (Phase.VOTING, Phase.COUNTING, Phase.PUBLISHED, Phase.IMPLEMENTATION)


def campaigns_public(region_code: str) -> QuerySet[Campaign]:
    return Campaign.objects.filter(region__code=region_code, phase__in=PUBLIC_PHASES).order_by(
        "-year"
    )


def ballot(campaign: Campaign, municipality: Municipality) -> list[VoteObject]:
    """The municipality's objects on the ballot, with their photos and milestones (3 queries)."""
    photos = ObjectPhoto.objects.filter(milestone__isnull=True).order_by("created_at")
    steps = Milestone.objects.prefetch_related("photos").order_by("happened_on")
    return list(
        VoteObject.objects.filter(campaign=campaign, municipality=municipality, is_active=True)
        .select_related("agency")
        .prefetch_related(
            Prefetch("photos", queryset=photos, to_attr="pictures"),
            Prefetch("milestones", queryset=steps, to_attr="steps"),
        )
        .order_by("name")
    )


def tallies_visible(campaign: Campaign) -> bool:
    """Whether the public sees the counts: once results are published, or during the vote when
    the campaign says so."""
    if campaign.phase in (Phase.PUBLISHED, Phase.IMPLEMENTATION):
        return True
    return campaign.phase == Phase.VOTING and campaign.tallies_public


@dataclass
class Line:
    vote_object: VoteObject
    counted: int
    annulled: int
    share: Decimal  # of the municipality's counted votes, per cent


@dataclass
class Result:
    municipality: Municipality
    voters: int
    counted: int
    annulled: int
    lines: list[Line] = field(default_factory=list)

    @property
    def turnout(self) -> Decimal | None:
        """Voters per hundred residents, when the population is known."""
        population = self.municipality.population
        if not population:
            return None
        return (Decimal(self.voters) * 100 / population).quantize(Decimal("0.01"))


def results(campaign: Campaign, municipality: Municipality | None = None) -> list[Result]:
    """Per municipality (or one): each object's counted and annulled votes and share, the
    voters and the turnout; objects by counted votes, most first (3 queries)."""
    places = Participation.objects.filter(campaign=campaign).select_related("municipality")
    if municipality is not None:
        places = places.filter(municipality=municipality)
    objects = (
        VoteObject.objects.filter(campaign=campaign)
        .annotate(
            counted=Count("votes", filter=Q(votes__state=Vote.State.COUNTED)),
            annulled=Count("votes", filter=Q(votes__state=Vote.State.ANNULLED)),
        )
        .order_by("-counted", "pk")
    )
    voters = dict(
        Voter.objects.filter(campaign=campaign, votes__state=Vote.State.COUNTED)
        .values_list("municipality_id")
        .annotate(number=Count("pk", distinct=True))
    )
    by_place: dict[int, list[VoteObject]] = {}
    for item in objects:
        by_place.setdefault(item.municipality_id, []).append(item)
    found = []
    for place in places:
        items = by_place.get(place.municipality_id, [])
        counted = sum(item.counted for item in items)  # type: ignore[attr-defined]
        lines = [
            Line(item, item.counted, item.annulled,  # type: ignore[attr-defined]
                 (Decimal(item.counted) * 100 / counted).quantize(Decimal("0.1"))  # type: ignore[attr-defined]
                 if counted else Decimal(0))
            for item in items
        ]  # fmt: skip
        annulled = sum(line.annulled for line in lines)
        found.append(Result(place.municipality, voters.get(place.municipality_id, 0), counted,
                            annulled, lines))  # fmt: skip
    return found
