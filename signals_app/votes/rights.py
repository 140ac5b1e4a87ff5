"""What a member of staff may do in the votes: every right defined once.

The signals' workflow registry answers "what may this user do to a signal"; this one answers it
for the campaigns, which are not signals. The organisers' pages offer exactly what `allowed`
says, and every service asks `require` before it writes.

- organise: create and move a campaign, see live tallies and the integrity report, annul
  votes, publish winners — the region's analysts (and administrators);
- objects: add and change a municipality's objects, their photos and milestones — the region's
  analysts, and the staff of an agency of that municipality;
- assist: record a resident's vote beside them (a volunteer, a polling point) — volunteers of
  the region and its analysts;
- read: see the organisers' pages (tallies, results) — the region's analysts and supervisors.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, Role, User
from agencies.selectors import staff_context
from signals_app.errors import ActionForbidden

RIGHTS = ("organise", "objects", "assist", "read")
_CENTRE_ROLES = {
    "organise": {Role.ANALYST, Role.ADMINISTRATOR},
    "objects": {Role.ANALYST, Role.ADMINISTRATOR},
    "assist": {Role.VOLUNTEER, Role.ANALYST},
    "read": {Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR},
}
REFUSALS = {
    "organise": _("Only the region's analysts organise the vote."),
    "objects": _("Only the region's analysts and the municipality's agencies manage its objects."),
    "assist": _("Only the region's volunteers and analysts record votes for residents."),
    "read": _("Only the region's analysts and supervisors see the organisers' pages."),
}


def allowed(
    right: str, *, user: User, region_id: int, municipality: Municipality | None = None
) -> bool:
    """Whether the user holds `right` in this region (for "objects": in this municipality)."""
    if right not in _CENTRE_ROLES:
        raise KeyError(right)
    if not user.is_authenticated:
        return False
    context = staff_context(user=user)
    if context.is_superuser:
        return True
    if context.roles & _CENTRE_ROLES[right] and region_id in context.region_ids:
        return True
    if right == "objects" and municipality is not None:
        return municipality.pk in managed_municipalities(user=user)
    return False


def managed_municipalities(*, user: User) -> frozenset[int]:
    """The municipalities whose objects the user's agencies manage (one query, kept on the
    user for the request)."""
    cached = getattr(user, "_vote_municipalities", None)
    if cached is not None:
        return cached
    context = staff_context(user=user)
    found: frozenset[int] = frozenset()
    if context.agency_ids:
        found = frozenset(
            Agency.objects.filter(pk__in=context.agency_ids, is_active=True)
            .exclude(municipality__isnull=True)
            .values_list("municipality_id", flat=True)
        )
    user._vote_municipalities = found  # type: ignore[attr-defined]
    return found


def require(
    right: str, *, user: User, region_id: int, municipality: Municipality | None = None
) -> None:
    if not allowed(right, user=user, region_id=region_id, municipality=municipality):
        raise ActionForbidden(REFUSALS[right])


def regions_with(right: str, *, user: User) -> frozenset[int] | None:
    """The regions where the user holds `right` through a centre role (None: every region)."""
    context = staff_context(user=user)
    if context.is_superuser:
        return None
    if context.roles & _CENTRE_ROLES[right]:
        return context.region_ids
    return frozenset()
