"""SLA policies and their frozen versions (floor 2): which version a signal gets.

Publishing writes policy rows only, never a signal: a signal takes a version when the
workflow gives it its deadlines.
"""

from __future__ import annotations

import logging

from django.db import transaction

from agencies.models import User
from signals_app.models import Signal
from signals_app.sla.clock import Clock, ClockStart
from signals_app.sla.engine import DEADLINES, PolicyCandidate, PolicyTerms, Step, Term, policy_match
from signals_app.sla.models import SLAPolicy, SLAPolicyVersion

logger = logging.getLogger(__name__)


def _policy_terms(policy: SLAPolicy, version: int) -> PolicyTerms:
    deadlines = {
        kind: Term(getattr(policy, f"{kind}_duration"), Clock(getattr(policy, f"{kind}_clock")))
        for kind in DEADLINES
        if getattr(policy, f"{kind}_duration")
    }
    extension = (
        Term(policy.extension_duration, Clock(policy.extension_clock))
        if policy.extension_duration
        else None
    )
    steps = tuple(
        Step(
            deadline=step.deadline,
            level=step.level,
            target=step.target,
            at_percent=step.at_percent,
            after_breach=step.after_breach,
            after_breach_clock=Clock(step.after_breach_clock),
            notify=step.notify,
            raise_priority=step.raise_priority,
            flag_overdue=step.flag_overdue,
        )
        for step in policy.steps.order_by("deadline", "level")
    )
    return PolicyTerms(
        policy_id=policy.pk,
        version=version,
        name=policy.name,
        deadlines=deadlines,
        pausing_statuses=tuple(policy.pausing_statuses),
        clock_start=ClockStart(policy.clock_start),
        extension=extension,
        info_wait=Term(policy.info_wait_duration, Clock(policy.info_wait_clock)),
        steps=steps,
    )


@transaction.atomic
def sla_policy_publish(*, policy: SLAPolicy, actor: User | None = None) -> SLAPolicyVersion:
    """Freeze the policy and its ladder as a new version; new signals get it from now on."""
    locked = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    policy.version = locked.version
    terms = _policy_terms(locked, locked.version)
    version = SLAPolicyVersion.objects.create(
        policy=locked, number=locked.version, terms=terms.to_json(), created_by=actor
    )
    logger.info("sla_policy_published policy_id=%s version=%s", locked.pk, locked.version)
    return version


def sla_version_for(signal: Signal, cache: dict | None = None) -> SLAPolicyVersion | None:
    """The newest version of the policy that matches the signal now (publishing a first one).

    With a cache (one batch of signals), the policies and versions are read once.
    """
    key = ("policies", signal.region_id)
    if cache is not None and key in cache:
        candidates = cache[key]
    else:
        candidates = [
            PolicyCandidate(p.pk, tuple(p.channels), p.category_id, p.priority, p.order)
            for p in SLAPolicy.objects.filter(region_id=signal.region_id, is_active=True).only(
                "id", "channels", "category_id", "priority", "order"
            )
        ]
        if cache is not None:
            cache[key] = candidates
    category = signal.category
    topic_id = category.parent_id if category is not None else None
    match = policy_match(
        candidates,
        channel=signal.channel,
        category_id=signal.category_id,
        topic_id=topic_id,
        priority=signal.priority,
    )
    if match is None:
        return None
    version_key = ("version", match.policy_id)
    if cache is not None and version_key in cache:
        return cache[version_key]
    version = SLAPolicyVersion.objects.filter(policy_id=match.policy_id).order_by("-number").first()
    if version is None:
        version = sla_policy_publish(policy=SLAPolicy.objects.get(pk=match.policy_id))
    if cache is not None:
        cache[version_key] = version
    return version
