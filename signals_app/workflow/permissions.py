"""Who the actor is with respect to one signal, and the check every service makes."""

from __future__ import annotations

from collections.abc import Iterable

from agencies.models import User
from agencies.selectors import staff_context
from signals_app.models import Signal
from signals_app.workflow.errors import ActionForbidden
from signals_app.workflow.transitions import ANALYST, SUPERVISOR


def actor_kinds(*, user: User, signal: Signal) -> frozenset[str]:
    """The roles the user holds for this signal: analyst, supervisor, executor, coordinator."""
    context = staff_context(user=user)
    kinds = {role for role in (ANALYST, SUPERVISOR) if context.is_centre(role, signal.region_id)}
    if signal.agency_id is not None and signal.agency_id in context.agency_roles:
        kinds.add(context.agency_roles[signal.agency_id])
    return frozenset(kinds)


def require(*, actor: User | None, signal: Signal, roles: Iterable[str]) -> None:
    """Raise ActionForbidden unless the actor holds one of the roles; None is the system."""
    if actor is None:
        return
    if not actor_kinds(user=actor, signal=signal) & frozenset(roles):
        raise ActionForbidden()
