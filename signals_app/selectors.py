"""Reads of the signals app, already scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, Role, User
from agencies.selectors import staff_context
from signals_app.choices import OPEN_STATUSES, Status
from signals_app.models import (
    ImportJob,
    InboundMessage,
    Mailbox,
    MassIncidentProposal,
    Signal,
    SignalPart,
    Source,
)


def signal_visibility_q(*, user: User) -> Q | None:
    """The filter of what a user may see; None means nothing at all.

    Analysts and supervisors see their regions; agency staff see their agencies and the
    agencies below them; superusers see everything.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    context = staff_context(user=user)
    if context.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    visible = False
    if context.roles & {Role.ANALYST, Role.SUPERVISOR} and context.region_ids:
        condition |= Q(region_id__in=context.region_ids)
        visible = True
    if context.agency_ids:
        # Their agencies' signals, and those where their agency is a co-executor.
        condition |= Q(agency_id__in=context.agency_ids) | Q(
            Exists(
                SignalPart.objects.filter(
                    signal_id=OuterRef("pk"), agency_id__in=context.agency_ids
                )
            )
        )
        visible = True
    return condition if visible else None


def signal_visible_to(*, user: User) -> QuerySet[Signal]:
    """All signals the user may see, unshaped."""
    condition = signal_visibility_q(user=user)
    if condition is None:
        return Signal.objects.none()
    return Signal.objects.filter(condition)


def signal_get_for_user(*, user: User, number: str) -> Signal | None:
    """One visible signal by its number, or None."""
    return signal_visible_to(user=user).filter(number=number).first()


def inbound_failed_for_user(*, user: User) -> QuerySet[InboundMessage]:
    """Failed inbox messages of the regions where the user is an analyst (newest first)."""
    context = staff_context(user=user)
    messages = InboundMessage.objects.filter(state=InboundMessage.State.FAILED)
    if not context.is_superuser:
        if Role.ANALYST not in context.roles or not context.region_ids:
            return InboundMessage.objects.none()
        messages = messages.filter(source__region_id__in=context.region_ids)
    return (
        messages.select_related("source")
        .only(
            "id", "external_id", "received_at", "attempts", "error", "source__name", "source__slug"
        )
        .order_by("-received_at", "-id")
    )


def user_is_analyst(*, user: User) -> bool:
    context = staff_context(user=user)
    return context.is_superuser or (Role.ANALYST in context.roles and bool(context.region_ids))


def _analyst_region_ids(user: User) -> list[int] | None:
    """The regions where the user is an analyst; None for a superuser (every region)."""
    context = staff_context(user=user)
    if context.is_superuser:
        return None
    if Role.ANALYST not in context.roles:
        return []
    return list(context.region_ids)


def import_sources_for_user(*, user: User) -> QuerySet[Source]:
    """Active sources an analyst may import files into (those of their regions)."""
    sources = Source.objects.filter(is_active=True).order_by("name")
    regions = _analyst_region_ids(user)
    return sources if regions is None else sources.filter(region_id__in=regions)


def import_jobs_for_user(*, user: User) -> QuerySet[ImportJob]:
    """File imports into the sources of the analyst's regions, newest first."""
    jobs = ImportJob.objects.select_related("source", "uploaded_by").defer("rejected_rows")
    regions = _analyst_region_ids(user)
    return jobs if regions is None else jobs.filter(source__region_id__in=regions)


def mass_proposals_for_user(*, user: User) -> QuerySet[MassIncidentProposal]:
    """Open mass-incident proposals of the analyst's regions with their signals, newest first."""
    proposals = MassIncidentProposal.objects.filter(state=MassIncidentProposal.State.PROPOSED)
    regions = _analyst_region_ids(user)
    if regions is not None:
        proposals = proposals.filter(region_id__in=regions)
    members = (
        Signal.objects.select_related("municipality")
        .only("id", "number", "text", "received_at", "status", "municipality__name")
        .order_by("received_at", "id")
    )
    return proposals.select_related("parent").prefetch_related(
        Prefetch("signals", queryset=members)
    )


QUEUE_TABS = (Status.NEW, Status.IN_PROGRESS, Status.AWAITING_INFO, Status.REPLY_REVIEW)


def signal_counts_for_user(*, user: User) -> dict[str, int]:
    """Open signals the user may see, per status, and how many are overdue (one query)."""
    now = timezone.now()
    counts = (
        signal_visible_to(user=user)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            overdue=Count("id", filter=Q(next_deadline_at__lt=now)),
            **{str(status.value): Count("id", filter=Q(status=status)) for status in QUEUE_TABS},
        )
    )
    return {key: value or 0 for key, value in counts.items()}


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


def answers_mailbox(signal: Signal) -> Mailbox | None:
    """The mailbox an outside body's answer to a forward comes back to: the signal's own (it
    came by e-mail), else the region's first active one with a reply address."""
    mailboxes = Mailbox.objects.filter(
        is_active=True, source__is_active=True, source__region_id=signal.region_id
    ).order_by("pk")
    own = mailboxes.filter(source_id=signal.source_id).first() if signal.source_id else None
    found = own or next((box for box in mailboxes if box.reply_address), None)
    return found if found is not None and found.reply_address else None
