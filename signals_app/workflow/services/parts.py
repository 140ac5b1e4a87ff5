"""Several agencies on one signal (floor 3): an analyst gives parts to co-executor agencies,
each with its task, assignee and deadline; a co-executor answers its part; the lead (the
signal's own agency) compiles the final answer, which is published only when every part is
answered or explicitly closed; a part past its deadline is escalated once to its agency."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership, User
from signals_app import timeline
from signals_app.errors import InvalidInput
from signals_app.models import Signal, SignalPart
from signals_app.workflow import notify
from signals_app.workflow.actions import authorize
from signals_app.workflow.services.base import begin, finish, late_once_tell

DEFAULT_PART_DAYS = 5  # a part's deadline when the signal has no answer deadline


def open_parts_refusal(signal: Signal) -> None:
    """The final answer waits for every part: answered, or closed by the centre or the lead."""
    waiting = list(
        SignalPart.objects.filter(signal=signal, state=SignalPart.State.OPEN)
        .select_related("agency")
        .order_by("pk")
    )
    if waiting:
        names = ", ".join(str(part.agency) for part in waiting)
        message = _(
            "The final answer waits for the co-executors' parts: %(names)s. Wait for their "
            "answers or close the parts."
        ) % {"names": names}
        raise InvalidInput(message, errors={"kind": [message]})


def _coordinators(agency: Agency) -> set[int]:
    return set(
        Membership.objects.filter(
            agency=agency, role=Membership.Role.COORDINATOR, user__is_active=True
        ).values_list("user_id", flat=True)
    )


@transaction.atomic
def part_add(
    *, signal: Signal | int, agency: Agency, task: str, actor: User | None,
    assignee: User | None = None, due: datetime | None = None,
    expected_version: int | None = None,
) -> SignalPart:  # fmt: skip
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("part_add", actor=actor, signal=locked)
    if agency.pk == locked.agency_id or agency.region_id != locked.region_id:
        raise InvalidInput(_("The lead agency does not get a part of its own."),
                           errors={"agency": [_("Choose another agency of the region.")]})  # fmt: skip
    if SignalPart.objects.filter(
        signal=locked, agency=agency, state=SignalPart.State.OPEN
    ).exists():
        message = _("This agency has an open part of the signal already.")
        raise InvalidInput(message, errors={"agency": [message]})
    if assignee is not None:
        from signals_app.workflow.services.moves import _check_assignee

        _check_assignee(assignee, agency.pk)
    at = change.at
    if due is None:  # the signal's answer deadline, unless it is past already
        answer_due = locked.answer_due_at
        due = (
            answer_due if answer_due and answer_due > at else at + timedelta(days=DEFAULT_PART_DAYS)
        )
    if due <= at:
        message = _("The part's deadline must be in the future.")
        raise InvalidInput(message, errors={"due": [message]})
    part = SignalPart.objects.create(
        signal=locked, agency=agency, assignee=assignee, task=task.strip(), due_at=due,
        created_by=actor, created_at=at,
    )  # fmt: skip
    change.entries.append(timeline.part_added(part, actor_id=actor.pk if actor else None, at=at))
    people = {assignee.pk} if assignee is not None else _coordinators(agency)
    notify.part_given(locked, people=people, task=part.task, actor=actor)
    finish(change, actor=actor)
    return part


@transaction.atomic
def part_done(
    *, signal: Signal | int, text: str, actor: User, expected_version: int | None = None
) -> SignalPart:
    """The co-executor answers its agency's part; the lead's assignee (else the reviewers) is
    told."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("part_done", actor=actor, signal=locked)
    from signals_app.workflow.actions import Situation

    part = Situation(locked, actor).own_part
    assert part is not None  # the condition of the action
    part.state, part.answer = SignalPart.State.DONE, text.strip()
    part.ended_by, part.ended_at = actor, change.at
    part.save(update_fields=["state", "answer", "ended_by", "ended_at"])
    change.entries.append(timeline.part_done(part, actor_id=actor.pk, at=change.at))
    notify.part_answered(locked, agency=part.agency.name, text=part.answer, actor=actor)
    finish(change, actor=actor)
    return part


@transaction.atomic
def part_close(
    *, signal: Signal | int, part: SignalPart, reason: str, actor: User,
    expected_version: int | None = None,
) -> SignalPart:  # fmt: skip
    """Close an open part that is not needed any more (the analysts, the lead's coordinator)."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("part_close", actor=actor, signal=locked)
    part = SignalPart.objects.select_for_update().select_related("agency").get(pk=part.pk)
    if part.signal_id != locked.pk or part.state != SignalPart.State.OPEN:
        message = _("No such open part of this signal.")
        raise InvalidInput(message, errors={"part": [message]})
    part.state, part.closed_reason = SignalPart.State.CLOSED, reason.strip()
    part.ended_by, part.ended_at = actor, change.at
    part.save(update_fields=["state", "closed_reason", "ended_by", "ended_at"])
    change.entries.append(timeline.part_closed(part, actor_id=actor.pk, at=change.at))
    finish(change, actor=actor)
    return part


def parts_overdue_tell(*, now: datetime | None = None, limit: int = 500) -> int:
    """Open parts past their deadline: each escalated once — the timeline, the part's assignee
    and its agency's coordinators, and whoever leads the signal."""

    def tell(change, part: SignalPart) -> None:  # type: ignore[no-untyped-def]
        change.entries.append(timeline.part_overdue(part, at=change.at))
        people = _coordinators(part.agency) | ({part.assignee_id} if part.assignee_id else set())
        notify.part_overdue(change.signal, agency=part.agency.name, people=people)

    return late_once_tell(
        SignalPart.objects.filter(state=SignalPart.State.OPEN), now=now or timezone.now(),
        limit=limit, related="agency", tell=tell,
    )  # fmt: skip
