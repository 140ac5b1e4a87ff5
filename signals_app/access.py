"""Who someone is with respect to a signal, and what follows from it for reading (floor 1).

What a user may *do* is answered by the workflow's action registry; this module only names
the roles a user holds for one signal and the personal-data policy that reads depend on.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext as _

from agencies.models import Role, User
from agencies.selectors import StaffContext, staff_context
from signals_app.errors import ActionForbidden

# Actor kinds. Agency roles come from memberships, centre roles from groups (agencies.Role).
ANALYST = "analyst"
SUPERVISOR = "supervisor"
EXECUTOR = "executor"
COORDINATOR = "coordinator"
AGENCY_STAFF = frozenset({EXECUTOR, COORDINATOR})
# Staff of an agency that holds a part of the signal (not the signal's own agency).
CO_EXECUTOR = "co_executor"
CENTRE = frozenset({ANALYST})
WRITERS = frozenset({ANALYST, EXECUTOR, COORDINATOR})  # supervisors only read


class SignalLike(Protocol):
    region_id: int
    agency_id: int | None


def kinds_in(context: StaffContext, signal: SignalLike) -> frozenset[str]:
    """The roles a staff context holds for one signal (no query)."""
    kinds = {role for role in (ANALYST, SUPERVISOR) if context.is_centre(role, signal.region_id)}
    if signal.agency_id is not None and signal.agency_id in context.agency_roles:
        kinds.add(context.agency_roles[signal.agency_id])
    return frozenset(kinds)


def actor_kinds(*, user: User, signal: SignalLike) -> frozenset[str]:
    """The roles the user holds for this signal: analyst, supervisor, executor, coordinator."""
    return kinds_in(staff_context(user=user), signal)


def is_region_analyst(user: User, region_id: int) -> bool:
    """Whether the user makes the decisions a region's analysts make outside a signal's
    workflow (a mass incident, an early warning)."""
    context = staff_context(user=user)
    return context.is_superuser or context.is_centre(Role.ANALYST, region_id)


def region_analyst_required(user: User, region_id: int, message: str | None = None) -> None:
    """Refuse anyone but the region's analysts, with `message`."""
    if is_region_analyst(user, region_id):
        return
    raise ActionForbidden(message or _("Only the region's analysts decide this."))


def kinds_anywhere(*, user: User) -> frozenset[str]:
    """Every role the user holds somewhere (what the bulk menu may offer before a selection)."""
    context = staff_context(user=user)
    kinds = set(context.agency_roles.values())
    for role in (ANALYST, SUPERVISOR):
        if context.is_superuser or (role in context.roles and context.region_ids):
            kinds.add(role)
    return frozenset(kinds)


# --- personal data ---------------------------------------------------------------------------


def may_see_personal_data(context: StaffContext, signal: SignalLike) -> bool:
    """The citizen's name and contacts: the region's analysts and the signal's agency staff.

    Supervisors read figures, not people: they see the author masked.
    """
    if context.is_superuser or context.is_centre(Role.ANALYST, signal.region_id):
        return True
    return signal.agency_id is not None and signal.agency_id in context.agency_roles


def parts_seen(context: StaffContext, signal: SignalLike) -> frozenset[int] | None:
    """Whose co-executors' parts a user sees on a signal: every part (None) for the centre
    and the lead agency; only their own agencies' parts for a co-executor."""
    if context.is_superuser or kinds_in(context, signal):
        return None
    return context.agency_ids


def mask_name(name: str) -> str:
    """«Иванов Пётр» → «И*** П***»: enough to tell two authors apart, not to identify one."""
    return " ".join(f"{part[0]}***" for part in name.split() if part) if name else ""


# --- what a user's pages offer ---------------------------------------------------------------


def user_may_act(*, user: User) -> bool:
    """Whether the user holds any role that writes (supervisors only read)."""
    context = staff_context(user=user)
    return context.is_superuser or Role.ANALYST in context.roles or bool(context.agency_roles)


def figures_regions_for(*, user: User) -> list[int] | None:
    """The regions whose figures (reports, the dashboard, early warnings) the user reads:
    its supervisors' and analysts'; None means every region."""
    context = staff_context(user=user)
    if context.is_superuser:
        return None
    if not context.roles & {Role.SUPERVISOR, Role.ANALYST}:
        return []
    return sorted(context.region_ids)


def user_may_report(*, user: User) -> bool:
    """Whether the user reads the centre's reports (supervisors and analysts)."""
    return figures_regions_for(user=user) != []
