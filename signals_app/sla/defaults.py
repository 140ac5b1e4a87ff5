"""The default policies of DESIGN.md §5, installed per region (the demo uses them).

Which channels a policy covers is each channel's own say (`ChannelSpec.policy`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from agencies.models import Region
from signals_app import channels
from signals_app.sla.clock import Clock, ClockStart
from signals_app.sla.models import EscalationStep, SLAPolicy
from signals_app.sla.policies import sla_policy_publish

Target = EscalationStep.Target

# At 50 % remind the executor, at 80 % warn the coordinators, at 100 % flag overdue and tell the
# municipality's curators, one working day after the breach tell the supervisors.
DEFAULT_LADDER: list[dict[str, Any]] = [
    {"level": 1, "at_percent": 50, "target": Target.ASSIGNEE},
    {"level": 2, "at_percent": 80, "target": Target.COORDINATORS},
    {"level": 3, "at_percent": 100, "target": Target.CURATORS, "flag_overdue": True},
    {
        "level": 4,
        "after_breach": timedelta(days=1),
        "target": Target.SUPERVISORS,
        "raise_priority": True,
    },
]

DEFAULT_POLICIES: list[dict[str, Any]] = [
    {
        "name": "Социальные сети",
        "group": "social",
        "order": 10,
        "clock_start": ClockStart.SOURCE,
        "reaction": (timedelta(hours=1), Clock.WORKING_HOURS),
        "answer": (timedelta(hours=8), Clock.WORKING_HOURS),
    },
    {
        "name": "ПОС и виджет",
        "group": "platform",
        "order": 20,
        "clock_start": ClockStart.SOURCE,
        "reaction": (timedelta(days=1), Clock.WORKING_DAYS),
        "answer": (timedelta(days=10), Clock.WORKING_DAYS),
    },
    {
        "name": "Обращения по 59-ФЗ",
        "group": "appeal",
        "order": 30,
        "clock_start": ClockStart.RECEIPT,  # 59-FZ counts from registration
        "reaction": (timedelta(days=3), Clock.CALENDAR),
        "answer": (timedelta(days=30), Clock.CALENDAR),
        "extension": (timedelta(days=30), Clock.CALENDAR),
    },
    {
        "name": "Прочие каналы",
        "group": None,  # every channel: the catch-all (file imports, Open311, phone)
        "order": 1000,
        "clock_start": ClockStart.SOURCE,
        "reaction": (timedelta(days=1), Clock.WORKING_DAYS),
        "answer": (timedelta(days=10), Clock.WORKING_DAYS),
    },
]


@transaction.atomic
def sla_defaults_install(*, region: Region) -> list[SLAPolicy]:
    """Create the default policies of a region if missing (idempotent) and publish them."""
    policies = []
    for spec in DEFAULT_POLICIES:
        policy, created = SLAPolicy.objects.get_or_create(
            region=region,
            name=spec["name"],
            defaults={
                "channels": channels.policy_channels(spec["group"]) if spec["group"] else [],
                "order": spec["order"],
                "clock_start": spec["clock_start"],
                "reaction_duration": spec["reaction"][0],
                "reaction_clock": spec["reaction"][1],
                "answer_duration": spec["answer"][0],
                "answer_clock": spec["answer"][1],
                "extension_duration": spec.get("extension", (None, Clock.CALENDAR))[0],
                "extension_clock": spec.get("extension", (None, Clock.CALENDAR))[1],
            },
        )
        if created:
            EscalationStep.objects.bulk_create(
                EscalationStep(policy=policy, deadline="answer", **step) for step in DEFAULT_LADDER
            )
            sla_policy_publish(policy=policy)
        policies.append(policy)
    return policies
