"""A user's (or the system's) changes of one signal: routing, work, status moves, attributes.

Each entry point runs in one transaction: it locks the signal row, checks the version the
caller saw and the actor's right, makes its change in memory (`workflow.changes`), saves the
row and its timeline entries — or raises a WorkflowError and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, User
from agencies.selectors import agency_staff
from signals_app import timeline as entries
from signals_app.choices import Channel, Priority, Status
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.locks import signal_lock
from signals_app.models import Attachment, Category, Reply, Signal
from signals_app.models.signal import Closure
from signals_app.outbound import outbox
from signals_app.sla.clock import add
from signals_app.sla.selectors import schedule_for_signal, terms_of
from signals_app.workflow import changes, notify
from signals_app.workflow.actions import action_for_move, authorize
from signals_app.workflow.changes import REASON_REQUIRED
from signals_app.workflow.services.base import begin, draft_write, finish

logger = logging.getLogger(__name__)


def _act(
    name: str,
    target: str,
    signal: Signal | int,
    *,
    actor: User | None,
    reason: str = "",
    expected_version: int | None = None,
) -> Signal:
    """A plain status move made by the action `name`."""
    change = begin(signal, actor, expected_version)
    authorize(name, actor=actor, signal=change.signal)
    changes.move(change, target, reason=reason)
    return finish(change, actor=actor)


@transaction.atomic
def signal_request_info(
    *, signal: Signal | int, question: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Ask the citizen for details: the clock pauses while the signal waits, and the question
    goes to the citizen through the channel's outbox like an answer (written in this
    transaction: it leaves exactly when the move is made)."""
    question = (question or "").strip()
    moved = _act("request_info", Status.AWAITING_INFO, signal, actor=actor, reason=question,
                 expected_version=expected_version)  # fmt: skip
    now = timezone.now()
    Reply.objects.filter(signal=moved, wait_until__isnull=False).update(wait_until=None)
    asked = Reply.objects.create(
        signal=moved, kind=Reply.Kind.QUESTION, state=Reply.State.PUBLISHED, text=question,
        author=actor, last_editor=actor, submitted_at=now, published_at=now,
        wait_until=_details_due(moved, now),
    )  # fmt: skip
    notify.no_way_back(outbox.reply_deliveries_enqueue(pairs=[(asked, moved)]))
    return moved


def _details_due(signal: Signal, now):  # type: ignore[no-untyped-def]
    """Until when a question waits for the citizen: the policy's waiting time, in the clock
    of the signal's agency (none without a policy)."""
    if signal.sla_version_id is None:
        return None
    wait = terms_of(signal.sla_version).info_wait
    return add(now, wait.duration, wait.clock, schedule_for_signal(signal))


@transaction.atomic
def signal_citizen_wrote(
    *,
    signal: Signal | int,
    text: str,
    at=None,
    attachments: Sequence[Attachment] = (),  # type: ignore[no-untyped-def]
) -> Signal:
    """The author wrote again on the signal's own thread (`ingest.process.thread_signal` chose
    the signal): their words go into the timeline, their files into the case, and the person
    working on it is told. An answer to our question resumes the clock (the system resumes the
    signal); details that come after the signal was closed for want of them wait for the
    centre's «Уточнение пришло: возобновить»."""
    change = begin(signal, None, None)
    locked = change.signal
    waiting = locked.status == Status.AWAITING_INFO
    late = locked.status == Status.CLOSED and locked.closure == Closure.NO_DETAILS
    if waiting or late:
        change.entries.append(entries.citizen_answered(locked.pk, text=text, at=at))
    else:
        change.entries.append(entries.citizen_wrote(locked.pk, text=text, at=at))
    if waiting:
        authorize("resume", actor=None, signal=locked)
        changes.move(change, Status.IN_PROGRESS, reason="")
        Reply.objects.filter(signal=locked, wait_until__isnull=False).update(wait_until=None)
    for attachment in attachments:
        attachment.signal = locked
    Attachment.objects.bulk_create(attachments)
    notify.citizen_wrote(locked, text=text, late=late)
    return finish(change, actor=None)


@transaction.atomic
def signal_resume(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """The details came: back in work, the clock runs again."""
    return _act("resume", Status.IN_PROGRESS, signal, actor=actor,
                expected_version=expected_version)  # fmt: skip


@transaction.atomic
def signal_reject(
    *, signal: Signal | int, reason: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Reject spam, a non-complaint or a signal that is not ours; the reason is required."""
    return _act("reject", Status.REJECTED, signal, actor=actor, reason=reason,
                expected_version=expected_version)  # fmt: skip


@transaction.atomic
def signal_restore(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Bring a rejected signal back to the new ones."""
    return _act("restore", Status.NEW, signal, actor=actor, expected_version=expected_version)


@transaction.atomic
def signal_close(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Close an answered signal."""
    change = begin(signal, actor, expected_version)
    authorize("close", actor=actor, signal=change.signal)
    changes.close(change)
    return finish(change, actor=actor)


@transaction.atomic
def signal_reopen(
    *,
    signal: Signal | int,
    reason: str,
    actor: User | None,
    agency: Agency | None = None,
    expected_version: int | None = None,
) -> Signal:
    """Reopen an answered or closed signal ("not solved"); counted in the reports."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("reopen", actor=actor, signal=locked)
    if agency is not None and agency.region_id != locked.region_id:
        raise InvalidInput(_("The agency belongs to another region."))
    changes.reopen(change, reason=reason, agency=agency)
    return finish(change, actor=actor)


@transaction.atomic
def signal_transition(
    *,
    signal: Signal | int,
    to_status: str,
    actor: User | None,
    reason: str = "",
    expected_version: int | None = None,
) -> Signal:
    """Move a signal to another status through the action that makes that move (ask the
    citizen, resume, close, reopen, reject, restore)."""
    locked = signal_lock(signal, expected_version)
    if locked.status == to_status:
        return locked  # the same status: nothing to do
    made_by = action_for_move(locked, to_status)
    if made_by is None:
        raise InvalidTransition(
            _("A signal in status “%(source)s” cannot move to “%(target)s”.")
            % {"source": Status(locked.status).label, "target": Status(to_status).label}
        )
    service = {
        "request_info": lambda: signal_request_info(signal=locked.pk, question=reason, actor=actor),
        "resume": lambda: signal_resume(signal=locked.pk, actor=actor),
        "close": lambda: signal_close(signal=locked.pk, actor=actor),
        "reopen": lambda: signal_reopen(signal=locked.pk, reason=reason, actor=actor),
        "reject": lambda: signal_reject(signal=locked.pk, reason=reason, actor=actor),
        "restore": lambda: signal_restore(signal=locked.pk, actor=actor),
    }[made_by.name]
    return service()


# --- routing and work ------------------------------------------------------------------------


def _check_assignee(assignee: User, agency_id: int) -> None:
    """An assignee works for the agency, or for one above it (a ministry for its hospital)."""
    if not agency_staff(agency_id=agency_id).filter(pk=assignee.pk).exists():
        raise InvalidInput(
            _("The assignee is not a member of the agency."),
            errors={"assignee": [_("The assignee is not a member of the agency.")]},
        )


@transaction.atomic
def signal_route(
    *,
    signal: Signal | int,
    agency: Agency,
    actor: User | None,
    assignee: User | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Signal:
    """Send a signal to an agency (new → in work), or reroute it to another one."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("route", actor=actor, signal=locked)
    if agency.region_id != locked.region_id:
        raise InvalidInput(_("The agency belongs to another region."))
    if not agency.is_active:
        raise InvalidInput(_("The agency is inactive."))
    if assignee is not None:
        _check_assignee(assignee, agency.pk)
    if changes.route(change, agency, assignee_id=assignee.pk if assignee else None, reason=reason):
        finish(change, actor=actor)
        if assignee is not None:
            notify.assigned(locked, assignee_id=assignee.pk, actor=actor)
    return locked


@transaction.atomic
def signal_assign(
    *,
    signal: Signal | int,
    assignee: User | None,
    actor: User | None,
    expected_version: int | None = None,
) -> Signal:
    """Assign (or unassign, with None) an executor of the signal's agency."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("assign", actor=actor, signal=locked)
    if assignee is not None and locked.agency_id is not None:
        _check_assignee(assignee, locked.agency_id)
    if changes.assign(change, assignee_id=assignee.pk if assignee else None):
        finish(change, actor=actor)
        notify.assigned(locked, assignee_id=assignee.pk if assignee else None, actor=actor)
    return locked


@transaction.atomic
def signal_take(
    *, signal: Signal | int, actor: User, expected_version: int | None = None
) -> Signal:
    """An agency employee takes the signal into work: assignee and first reaction."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("take", actor=actor, signal=locked)
    if changes.take(change, user_id=actor.pk):
        finish(change, actor=actor)
    return locked


# --- attributes ------------------------------------------------------------------------------


@transaction.atomic
def signal_change_category(
    *,
    signal: Signal | int,
    category: Category | None,
    actor: User | None,
    expected_version: int | None = None,
    note: str = "",
) -> Signal:
    """Fix the category of a signal (analysts; the rules and the classifier as the system).

    `note` says on the event how a system actor chose the category.
    """
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("category", actor=actor, signal=locked)
    if category is not None and category.region_id != locked.region_id:
        raise InvalidInput(_("The category belongs to another region."))
    if changes.set_category(change, category, note=note):
        finish(change, actor=actor)
    return locked


@transaction.atomic
def signal_change_priority(
    *, signal: Signal | int, priority: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Change the priority of a signal (analysts and the agency's coordinator)."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("priority", actor=actor, signal=locked)
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."))
    if changes.set_priority(change, priority):
        finish(change, actor=actor)
    return locked


@transaction.atomic
def signal_change_channel(
    *, signal: Signal | int, channel: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Correct the channel a signal came through (analysts); its deadlines follow."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("channel", actor=actor, signal=locked)
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."))
    if changes.set_channel(change, channel):
        finish(change, actor=actor)
    return locked


@transaction.atomic
def signal_text_update(*, signal: Signal | int, text: str, actor: User | None = None) -> Signal:
    """The author edited the original post: keep the signal's text in step (system action)."""
    change = begin(signal, actor, None)
    if changes.edit_text(change, (text or "").strip()):
        finish(change, actor=actor)
    return change.signal


@transaction.atomic
def signal_mark_deleted_at_source(*, signal: Signal | int, actor: User | None = None) -> Signal:
    """The author deleted the original: record it; the signal itself is never deleted."""
    change = begin(signal, actor, None)
    if changes.deleted_at_source(change):
        finish(change, actor=actor)
    return change.signal


@transaction.atomic
def signal_deadline_extend(
    *, signal: Signal | int, reason: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Extend the answer (and resolution) deadline once, by the policy's amount.

    The notice to the citizen is left as a draft interim reply for the agency to finish.
    """
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("extend", actor=actor, signal=locked)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(REASON_REQUIRED, errors={"reason": [REASON_REQUIRED]})
    terms = terms_of(locked.sla_version)
    assert terms.extension is not None  # the action's condition says so
    changes.extend(change, terms=terms, reason=reason)
    finish(change, actor=actor)
    new_due = locked.answer_due_at or locked.resolution_due_at
    local_due = timezone.localtime(new_due, schedule_for_signal(locked).zone) if new_due else None
    draft_write(
        locked,
        text=_(
            "The time to consider your appeal No. %(number)s has been extended until "
            "%(date)s. Reason: %(reason)s"
        )
        % {
            "number": locked.number,
            "date": local_due.strftime("%d.%m.%Y") if local_due else "—",
            "reason": reason,
        },
        kind="interim",
        author=actor,
    )
    return locked
