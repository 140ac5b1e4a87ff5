"""The only writers of the votes: a campaign's phases (by the calendar or by an organiser, each
move logged), a resident's vote (one per verified identity, a database constraint behind it),
its annulment, the winners.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Municipality, User
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.votes import rights
from signals_app.votes.identity import Verified, age_on
from signals_app.votes.models import (
    PHASE_ORDER,
    Campaign,
    CampaignEvent,
    Milestone,
    ObjectPhoto,
    Participation,
    Phase,
    Vote,
    VoteObject,
)

logger = logging.getLogger(__name__)


# --- the calendar ----------------------------------------------------------------------------


def window(campaign: Campaign, municipality: Municipality) -> tuple[datetime, datetime]:
    """When the municipality votes: from the first day's midnight to the day after the last
    day's, in the municipality's own time zone."""
    zone = ZoneInfo(municipality.effective_time_zone)
    opens = datetime.combine(campaign.starts_on, time.min, tzinfo=zone)
    closes = datetime.combine(campaign.ends_on + timedelta(days=1), time.min, tzinfo=zone)
    return opens, closes


def campaign_span(campaign: Campaign) -> tuple[datetime, datetime] | None:
    """The earliest opening and the latest closing among its municipalities."""
    places = [item.municipality for item in
              campaign.participations.select_related("municipality__region")]  # fmt: skip
    if not places:
        return None
    windows = [window(campaign, place) for place in places]
    return min(start for start, _end in windows), max(end for _start, end in windows)


def next_phase(phase: str) -> str | None:
    position = PHASE_ORDER.index(phase)
    return PHASE_ORDER[position + 1] if position + 1 < len(PHASE_ORDER) else None


def _log(campaign: Campaign, kind: str, actor: User | None, reason: str = "", **details) -> None:  # type: ignore[no-untyped-def]
    CampaignEvent.objects.create(campaign=campaign, kind=kind, at=timezone.now(), actor=actor,
                                 reason=reason, details=details)  # fmt: skip


@transaction.atomic
def phase_move(
    *, campaign: Campaign | int, to: str, actor: User | None, reason: str = ""
) -> Campaign:
    """Move the campaign one phase on. The calendar (no actor) opens and closes the vote; an
    organiser may do so early only with a reason; counting ends with the winners marked."""
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    locked = Campaign.objects.select_for_update().get(pk=pk)
    if actor is not None:
        rights.require("organise", user=actor, region_id=locked.region_id)
    if to != next_phase(locked.phase):
        raise InvalidTransition(_("From “%(from)s” the campaign moves only to the next phase.")
                                % {"from": Phase(locked.phase).label})  # fmt: skip
    span = campaign_span(locked)
    if to == Phase.VOTING and span is None:
        raise InvalidInput(_("Add the municipalities that vote first."))
    early = span is not None and (
        (to == Phase.VOTING and timezone.now() < span[0])
        or (to == Phase.COUNTING and timezone.now() < span[1])
    )
    if early and not reason.strip():
        raise InvalidInput(
            _("Moving before the calendar needs a reason."), {"reason": [_("Say why.")]}
        )
    if to == Phase.PUBLISHED:
        _winners_mark(locked, actor)
    before = locked.phase
    locked.phase = to
    locked.save(update_fields=["phase"])
    _log(locked, CampaignEvent.Kind.PHASE, actor, reason.strip(), before=before, after=to)
    logger.info("campaign_phase campaign_id=%s from=%s to=%s", locked.pk, before, to)
    return locked


def phases_sweep(now: datetime | None = None) -> int:
    """The calendar's moves (beat): open the campaigns whose first window opened, close those
    whose last window closed. How many moved."""
    now = now or timezone.now()
    moved = 0
    for campaign in Campaign.objects.filter(phase__in=[Phase.PREPARATION, Phase.VOTING]):
        span = campaign_span(campaign)
        if span is None:
            continue
        due = (campaign.phase == Phase.PREPARATION and now >= span[0]) or (
            campaign.phase == Phase.VOTING and now >= span[1]
        )
        if due:
            phase_move(campaign=campaign, to=next_phase(campaign.phase) or "", actor=None)
            moved += 1
    return moved


# --- a vote ----------------------------------------------------------------------------------


@dataclass
class Cast:
    """What a vote came to: recorded (the votes) or refused (why, for the resident)."""

    recorded: bool
    message: str = ""
    votes: list[Vote] = field(default_factory=list)
    changed: bool = False
    names: list[str] = field(default_factory=list)  # the objects chosen, in order


def is_open(campaign: Campaign, municipality: Municipality, now: datetime | None = None) -> bool:
    if campaign.phase != Phase.VOTING:
        return False
    opens, closes = window(campaign, municipality)
    return opens <= (now or timezone.now()) < closes


def _age_refusal(campaign: Campaign, verified: Verified, municipality: Municipality,
                 declared_adult: bool) -> str:  # fmt: skip
    if verified.birthdate:
        today = timezone.now().astimezone(ZoneInfo(municipality.effective_time_zone)).date()
        if age_on(date.fromisoformat(verified.birthdate), today) < campaign.min_age:
            return _("Residents vote from the age of %(age)s.") % {"age": campaign.min_age}
        return ""
    if not declared_adult:
        return _("Confirm that you are %(age)s or older.") % {"age": campaign.min_age}
    return ""


def _voter(campaign: Campaign, verified: Verified, municipality: Municipality) -> tuple[int, int]:
    """The voter of this identity (made once, whoever comes first), its row locked until this
    vote commits: (its id, its municipality). One statement: an upsert that locks the row it
    finds (a second cast of the identity waits here for the first to finish)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO signals_app_voter
                (campaign_id, identity, method, municipality_id, municipality_declared,
                 age_declared, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (campaign_id, identity) DO UPDATE SET identity = EXCLUDED.identity
            RETURNING id, municipality_id
            """,
            [campaign.pk, verified.identity, verified.method, municipality.pk,
             not verified.oktmo, not verified.birthdate, timezone.now()],
        )  # fmt: skip
        voter_id, place_id = cursor.fetchone()
    return voter_id, place_id


def vote_cast(
    *,
    campaign: Campaign,
    verified: Verified,
    municipality: Municipality,
    objects: Iterable[int],
    declared_adult: bool = False,
    origin: str = Vote.Origin.WEB,
    helper: User | None = None,
    address: str = "",
    device: str = "",
) -> Cast:
    """Record a verified resident's choice: one vote per identity (up to the campaign's number
    of objects), in their own municipality, while its window is open. Two casts of one
    identity at once end with one vote: the voter's row is locked by the first, and the
    constraint on (voter, choice number) refuses the second."""
    chosen = list(dict.fromkeys(int(item) for item in objects))
    if origin != Vote.Origin.WEB:
        if helper is None:
            raise InvalidInput(_("An assisted vote names its helper."))
        rights.require("assist", user=helper, region_id=campaign.region_id)
    if not is_open(campaign, municipality):
        return Cast(False, _("Voting is not open in this municipality now."))
    if not chosen:
        return Cast(False, _("Choose an object."))
    if len(chosen) > campaign.choices:
        return Cast(False, _("You may choose at most %(count)s.") % {"count": campaign.choices})
    # The campaign's phase is read again here, with the ballot: the campaign given may be a
    # few seconds old (a page's cache), the vote never is.
    names = dict(VoteObject.objects.filter(
        pk__in=chosen, campaign=campaign, campaign__phase=Phase.VOTING, municipality=municipality,
        is_active=True, municipality__participations__campaign=campaign,
    ).values_list("pk", "name"))  # fmt: skip
    if len(names) != len(chosen):
        if not Campaign.objects.filter(pk=campaign.pk, phase=Phase.VOTING).exists():
            return Cast(False, _("Voting is not open in this municipality now."))
        if not Participation.objects.filter(campaign=campaign, municipality=municipality).exists():
            return Cast(False, _("This municipality does not take part in the vote."))
        return Cast(False, _("Only the objects of your municipality's ballot can be chosen."))
    if verified.oktmo and not municipality.oktmo.startswith(verified.oktmo[:8]):
        return Cast(False, _("Gosuslugi knows you in another municipality: vote there."))
    refusal = _age_refusal(campaign, verified, municipality, declared_adult)
    if refusal:
        return Cast(False, refusal)
    try:
        with transaction.atomic():
            cast = _record(campaign, verified, municipality, chosen, origin, helper, address,
                           device)  # fmt: skip
    except IntegrityError:  # the other cast of this identity won the race
        return Cast(False, _("You have voted already."))
    cast.names = [names[number] for number in chosen] if cast.recorded else []
    return cast


def _record(
    campaign: Campaign, verified: Verified, municipality: Municipality, chosen: list[int],
    origin: str, helper: User | None, address: str, device: str,
) -> Cast:  # fmt: skip
    voter, place = _voter(campaign, verified, municipality)
    if place != municipality.pk:
        return Cast(False, _("You have voted in another municipality."))
    now = timezone.now()
    changed = False
    if campaign.may_change:
        changed = bool(Vote.objects.filter(voter_id=voter, state=Vote.State.COUNTED).update(
            state=Vote.State.REPLACED, ended_at=now))  # fmt: skip
    # Without a change allowed, a counted vote of this voter makes the insert fail on the
    # constraint (voter, choice number): "voted already".
    votes = Vote.objects.bulk_create([
        Vote(campaign=campaign, voter_id=voter, vote_object_id=number, municipality=municipality,
             slot=slot, origin=origin, helper=helper, cast_at=now, address=address,
             device=device)
        for slot, number in enumerate(chosen, start=1)
    ])  # fmt: skip
    return Cast(True, "", votes, changed)


@transaction.atomic
def votes_annul(*, campaign: Campaign, votes: Iterable[int], reason: str, actor: User) -> int:
    """Annul counted votes with a reason: logged, counted apart, never deleted."""
    rights.require("organise", user=actor, region_id=campaign.region_id)
    if not reason.strip():
        raise InvalidInput(_("Annulling needs a reason."), {"reason": [_("Say why.")]})
    ids = list(Vote.objects.select_for_update().filter(
        campaign=campaign, pk__in=list(votes), state=Vote.State.COUNTED
    ).values_list("pk", flat=True))  # fmt: skip
    if not ids:
        return 0
    Vote.objects.filter(pk__in=ids).update(state=Vote.State.ANNULLED, ended_at=timezone.now(),
                                           annulled_by=actor, annul_reason=reason.strip())  # fmt: skip
    _log(campaign, CampaignEvent.Kind.ANNULLED, actor, reason.strip(), count=len(ids),
         votes=ids[:1000])  # fmt: skip
    return len(ids)


def _winners_mark(campaign: Campaign, actor: User | None) -> None:
    """By the campaign's rule, in each municipality: the first N by counted votes, or the most
    voted whose costs fit the budget (ties: the earlier object)."""
    tallies = (
        VoteObject.objects.filter(campaign=campaign, is_active=True)
        .annotate(counted=Count("votes", filter=Q(votes__state=Vote.State.COUNTED)))
        .order_by("municipality_id", "-counted", "pk")
    )
    budgets = dict(campaign.participations.values_list("municipality_id", "budget"))
    winners: list[int] = []
    by_place: dict[int, list[Any]] = {}
    for item in tallies:
        by_place.setdefault(item.municipality_id, []).append(item)
    for place, items in by_place.items():
        ranked = [item for item in items if item.counted > 0]
        if campaign.winners == Campaign.Winners.BUDGET:
            left = budgets.get(place) or Decimal(0)
            for item in ranked:
                if item.cost is not None and item.cost <= left:
                    winners.append(item.pk)
                    left -= item.cost
        else:
            winners += [item.pk for item in ranked[: campaign.winners_count]]
    VoteObject.objects.filter(campaign=campaign).update(is_winner=False)
    VoteObject.objects.filter(pk__in=winners).update(is_winner=True)
    _log(campaign, CampaignEvent.Kind.WINNERS, actor, winners=winners)


# --- the organisers' writes ------------------------------------------------------------------


def campaign_save(*, campaign: Campaign, actor: User) -> Campaign:
    """A new or changed campaign; its rules are fixed once voting starts."""
    rights.require("organise", user=actor, region_id=campaign.region_id)
    if campaign.pk:
        before = Campaign.objects.get(pk=campaign.pk)
        if before.phase != Phase.PREPARATION and before.region_id == campaign.region_id:
            rules = ("starts_on", "ends_on", "choices", "may_change", "min_age", "winners",
                     "winners_count", "region_id")  # fmt: skip
            if any(getattr(before, name) != getattr(campaign, name) for name in rules):
                raise InvalidInput(_("The rules of a campaign are fixed once voting starts."))
    campaign.save()
    return campaign


def participation_add(*, campaign: Campaign, municipality: Municipality, budget: Decimal | None,
                      actor: User) -> Participation:  # fmt: skip
    rights.require("organise", user=actor, region_id=campaign.region_id)
    if municipality.region_id != campaign.region_id:
        raise InvalidInput(_("The municipality belongs to another region."))
    if (
        campaign.phase != Phase.PREPARATION
        and not Participation.objects.filter(campaign=campaign, municipality=municipality).exists()
    ):
        raise InvalidInput(_("Municipalities join a campaign before voting starts."))
    found, _created = Participation.objects.update_or_create(
        campaign=campaign, municipality=municipality, defaults={"budget": budget}
    )
    return found


def object_save(*, item: VoteObject, actor: User) -> VoteObject:
    """A new or changed object of a municipality's ballot (only while preparing: new ones)."""
    rights.require("objects", user=actor, region_id=item.campaign.region_id,
                   municipality=item.municipality)  # fmt: skip
    if not Participation.objects.filter(campaign=item.campaign,
                                        municipality=item.municipality).exists():  # fmt: skip
        raise InvalidInput(_("This municipality does not take part in the vote."))
    if not item.pk and item.campaign.phase != Phase.PREPARATION:
        raise InvalidInput(_("Objects join the ballot before voting starts."))
    if item.agency is not None and item.agency.region_id != item.campaign.region_id:
        raise InvalidInput(_("The agency belongs to another region."))
    item.save()
    return item


def photo_add(*, item: VoteObject, upload, kind: tuple[str, str], caption: str, actor: User,  # type: ignore[no-untyped-def]
              milestone: Milestone | None = None) -> ObjectPhoto:  # fmt: skip
    """A checked photo (`untrusted.photo_checked`) kept with its size and SHA-256."""
    import hashlib

    from django.core.files.base import ContentFile

    rights.require("objects", user=actor, region_id=item.campaign.region_id,
                   municipality=item.municipality)  # fmt: skip
    content = upload.read()
    digest = hashlib.sha256(content).hexdigest()
    photo = ObjectPhoto(vote_object=item, milestone=milestone, content_type=kind[1],
                        size=len(content), sha256=digest, caption=caption[:300])  # fmt: skip
    photo.file.save(f"{digest[:32]}.{kind[0]}", ContentFile(content), save=False)
    photo.save()
    return photo


def milestone_add(*, item: VoteObject, kind: str, happened_on: date, note: str,
                  actor: User) -> Milestone:  # fmt: skip
    """A step of a winner's works (once each), shown on its public page."""
    rights.require("objects", user=actor, region_id=item.campaign.region_id,
                   municipality=item.municipality)  # fmt: skip
    if not item.is_winner or item.campaign.phase not in (Phase.PUBLISHED, Phase.IMPLEMENTATION):
        raise InvalidInput(_("Milestones are recorded for the winners once results are out."))
    found, _created = Milestone.objects.update_or_create(
        vote_object=item, kind=kind,
        defaults={"happened_on": happened_on, "note": note, "recorded_by": actor},
    )  # fmt: skip
    return found
