"""Reads of the agencies app."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from agencies.models import Membership, Role, User

# A coordinator of a ministry coordinates its subordinate bodies too: the strongest role wins.
_ROLE_RANK: dict[str, int] = {Membership.Role.EXECUTOR: 1, Membership.Role.COORDINATOR: 2}


@dataclass(frozen=True)
class StaffContext:
    """What a user is in the organisation: computed once per request, in two queries."""

    user_id: int
    is_superuser: bool
    roles: frozenset[str]
    region_ids: frozenset[int]
    agency_roles: dict[int, str]

    @property
    def agency_ids(self) -> frozenset[int]:
        return frozenset(self.agency_roles)

    def is_centre(self, role: str, region_id: int) -> bool:
        """Whether the user holds a control-centre role for this region."""
        if self.is_superuser:
            return role in (Role.ANALYST, Role.SUPERVISOR)
        return role in self.roles and region_id in self.region_ids


def staff_context(*, user: User) -> StaffContext:
    """Build (and cache on the user instance) the user's roles, regions and agencies."""
    cached = getattr(user, "_staff_context", None)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT 'g', g.name, NULL FROM auth_group g
              JOIN agencies_user_groups ug ON ug.group_id = g.id WHERE ug.user_id = %s
            UNION ALL
            SELECT 'r', NULL, ur.region_id FROM agencies_user_regions ur WHERE ur.user_id = %s
            """,
            [user.pk, user.pk],
        )
        roles, regions = set(), set()
        for kind, name, region_id in cursor.fetchall():
            if kind == "g":
                roles.add(name)
            else:
                regions.add(region_id)
        cursor.execute(
            """
            WITH RECURSIVE subtree(id, role) AS (
                SELECT agency_id, role FROM agencies_membership WHERE user_id = %s
                UNION
                SELECT a.id, s.role FROM agencies_agency a JOIN subtree s ON a.parent_id = s.id
            )
            SELECT id, role FROM subtree
            """,
            [user.pk],
        )
        agency_roles: dict[int, str] = {}
        for agency_id, role in cursor.fetchall():
            current = agency_roles.get(agency_id)
            if current is None or _ROLE_RANK[role] > _ROLE_RANK[current]:
                agency_roles[agency_id] = role
    context = StaffContext(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        roles=frozenset(roles),
        region_ids=frozenset(regions),
        agency_roles=agency_roles,
    )
    user._staff_context = context  # type: ignore[attr-defined]
    return context


def agency_line(agency_id: int) -> list[int]:
    """The agency and those above it (its parent, the parent's parent…), nearest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE line(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM agencies_agency WHERE id = %s
                UNION ALL
                SELECT a.id, a.parent_id, line.depth + 1
                  FROM agencies_agency a JOIN line ON a.id = line.parent_id
                 WHERE line.depth < 20
            )
            SELECT id FROM line ORDER BY depth
            """,
            [agency_id],
        )
        return [row[0] for row in cursor.fetchall()]


def agency_staff(*, agency_id: int) -> QuerySet[User]:
    """The people who may work on an agency's signals: active members of the agency and of the
    agencies above it (a ministry's staff take its hospitals' signals), by name."""
    return (
        User.objects.filter(memberships__agency_id__in=agency_line(agency_id), is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
        .only("id", "username", "first_name", "last_name")
    )
