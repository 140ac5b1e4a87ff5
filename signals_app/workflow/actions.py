"""What a user may do to a signal: every action defined once (floor 3).

Each action names its label, who may take it in which statuses (`grants`), the moves of the
transition table it makes, its input (`workflow.inputs`), the service that performs it, whether
the bulk bar offers it and its keyboard key, and any further condition (`when`: the reply
waiting for review, the four eyes, the deadline not yet extended…).

`actions_available(user, signal)` is the only answer to "what may this user do here": the signal
page, the bulk bar, the keyboard, the API (each action endpoint and `GET …/actions/`) read it,
and every service asks `authorize` under its row lock before it writes — the same rules in the
same order, so what is offered is exactly what is accepted. The order of the checks: the user's
role for the action at all (a rights refusal), then the status (a status refusal), then the
role in this status, then the condition.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from agencies.models import User
from agencies.selectors import staff_context
from signals_app.access import (
    AGENCY_STAFF,
    ANALYST,
    CENTRE,
    CO_EXECUTOR,
    COORDINATOR,
    EXECUTOR,
    kinds_in,
)
from signals_app.choices import AGENCY_WORK_STATUSES, OPEN_STATUSES, Status
from signals_app.errors import ActionForbidden, InvalidInput, InvalidTransition, WorkflowError
from signals_app.models import Reply, Signal
from signals_app.models.signal import Closure
from signals_app.workflow import inputs
from signals_app.workflow.transitions import TRANSITION_TABLE

ALL_STATUSES = frozenset(Status)
SERVICES = "signals_app.workflow.services"  # where an action's service is, unless its path says
ROLE_NAMES = {
    ANALYST: gettext_lazy("analysts of the centre"),
    COORDINATOR: gettext_lazy("coordinators of the agency"),
    EXECUTOR: gettext_lazy("executors of the agency"),
    CO_EXECUTOR: gettext_lazy("co-executors of the signal"),
}


@dataclass(frozen=True)
class Grant:
    """These roles may take the action in these statuses."""

    statuses: frozenset[str]
    roles: frozenset[str]


class Situation:
    """What the rules read of one signal for one user; the facts that need a query are read
    on first use, or come from the caller (the page has the replies already)."""

    def __init__(
        self, signal: Signal, user: User | None, *, replies: Iterable[Reply] | None = None
    ) -> None:
        self.signal = signal
        self.user = user
        self._replies = list(replies) if replies is not None else None

    @cached_property
    def kinds(self) -> frozenset[str]:
        if self.user is None:
            return frozenset()
        kinds = kinds_in(staff_context(user=self.user), self.signal)
        return kinds | {CO_EXECUTOR} if self.own_part is not None else kinds

    @cached_property
    def own_part(self):  # type: ignore[no-untyped-def]
        """The open part of the signal given to one of the user's agencies, if any."""
        from signals_app.models import SignalPart

        if self.user is None:
            return None
        agencies = staff_context(user=self.user).agency_ids - {self.signal.agency_id}
        if not agencies:
            return None
        return (
            SignalPart.objects.filter(
                signal_id=self.signal.pk, agency_id__in=agencies, state=SignalPart.State.OPEN
            )
            .order_by("pk")
            .first()
        )

    @cached_property
    def open_parts(self) -> int:
        from signals_app.models import SignalPart

        return SignalPart.objects.filter(
            signal_id=self.signal.pk, state=SignalPart.State.OPEN
        ).count()

    @cached_property
    def submitted(self) -> Reply | None:
        """The reply waiting for review, if any (one at a time)."""
        if self._replies is not None:
            return next((r for r in self._replies if r.state == Reply.State.SUBMITTED), None)
        return self.signal.replies.filter(state=Reply.State.SUBMITTED).first()

    def _deliveries_in(self, states: Iterable[str]) -> bool:
        from signals_app.outbound.models import ReplyDelivery, replies_in

        if self._replies is not None:
            return replies_in(self._replies, states)
        return ReplyDelivery.objects.filter(signal_id=self.signal.pk, state__in=states).exists()

    @cached_property
    def reopen_pending(self) -> bool:
        """A citizen's «не решена» waits for the analysts' decision."""
        from signals_app.models import ReopenRequest

        return ReopenRequest.objects.filter(
            signal_id=self.signal.pk, state=ReopenRequest.State.PENDING
        ).exists()

    @cached_property
    def forwardable(self) -> bool:
        """The region has an outside body to forward to and a mailbox for its answers."""
        from signals_app.models import OutsideBody
        from signals_app.selectors import answers_mailbox

        bodies = OutsideBody.objects.filter(region_id=self.signal.region_id, is_active=True)
        return bodies.exists() and answers_mailbox(self.signal) is not None

    @cached_property
    def failed_delivery(self) -> bool:
        from signals_app.outbound.models import OutboxState

        return self._deliveries_in((OutboxState.FAILED,))

    @cached_property
    def undelivered(self) -> bool:
        """A published reply the citizen has not got: failed, or with no way back."""
        from signals_app.outbound.models import UNDELIVERED

        return self._deliveries_in(UNDELIVERED)


Condition = Callable[[Situation], WorkflowError | None]


@dataclass(frozen=True)
class Action:
    name: str
    label: Promise
    grants: tuple[Grant, ...]
    service: str  # a function of workflow.services, or a dotted path
    input: type[inputs.ActionInput] = inputs.NoInput
    moves: frozenset[tuple[str, str]] = frozenset()
    bulk: bool = False
    key: str = ""
    when: Condition | None = None
    done: Promise | str = ""  # what the page says after it

    @property
    def statuses(self) -> frozenset[str]:
        return frozenset().union(*(grant.statuses for grant in self.grants))

    @property
    def roles(self) -> frozenset[str]:
        return frozenset().union(*(grant.roles for grant in self.grants))

    def roles_in(self, status: str) -> frozenset[str]:
        return frozenset().union(
            *(grant.roles for grant in self.grants if status in grant.statuses)
        )

    def refusal(self, situation: Situation) -> WorkflowError | None:
        """Why this action is not possible here (None: it is)."""
        signal, user = situation.signal, situation.user
        if user is not None and not situation.kinds & self.roles:
            return ActionForbidden(_("Only %(roles)s may do this: “%(action)s”.") % {
                "roles": ", ".join(str(ROLE_NAMES[role]) for role in sorted(self.roles)),
                "action": self.label,
            })  # fmt: skip
        if user is not None and signal.parent_id and self.name not in FOLLOWER_ACTIONS:
            return InvalidTransition(
                _(
                    "This signal is part of a mass incident and follows it: act on the mass "
                    "incident."
                )
            )
        if signal.status not in self.statuses:
            return InvalidTransition(
                _("“%(action)s” is not possible for a signal in status “%(status)s”.")
                % {"action": self.label, "status": Status(signal.status).label}
            )
        if user is not None and not situation.kinds & self.roles_in(signal.status):
            return ActionForbidden(
                _("In status “%(status)s”, “%(action)s” is for %(roles)s.") % {
                    "status": Status(signal.status).label, "action": self.label,
                    "roles": ", ".join(
                        str(ROLE_NAMES[role]) for role in sorted(self.roles_in(signal.status))
                    ),
                }
            )  # fmt: skip
        return self.when(situation) if self.when is not None else None

    @cached_property
    def function(self) -> Callable[..., Any]:
        """The service that performs it, named here by a string: the services ask this
        registry before they write, so it cannot import them."""
        module, _dot, name = self.service.rpartition(".")
        return getattr(importlib.import_module(module or SERVICES), name)

    @cached_property
    def parameters(self) -> frozenset[str]:
        return frozenset(inspect.signature(self.function).parameters)


# --- conditions ------------------------------------------------------------------------------


def _routed(situation: Situation) -> WorkflowError | None:
    if situation.signal.agency_id is None:
        return InvalidTransition(_("Only a signal in the work of an agency can be assigned."))
    return None


def _takeable(situation: Situation) -> WorkflowError | None:
    signal, user = situation.signal, situation.user
    if user is None:
        return InvalidInput(_("Only a person takes a signal into work."))
    if signal.assignee_id not in (None, user.pk):
        return InvalidInput(_("The signal is assigned to someone else; ask the coordinator."))
    mine = signal.assignee_id == user.pk and signal.reacted_at is not None
    if mine and signal.status == Status.IN_PROGRESS:
        return InvalidInput(_("The signal is yours already."))
    return None


def _nothing_under_review(situation: Situation) -> WorkflowError | None:
    if situation.submitted is not None:
        return InvalidInput(_("Another reply is already waiting for review."))
    return None


def _under_review(situation: Situation) -> WorkflowError | None:
    if situation.submitted is None:
        return InvalidTransition(_("No reply is waiting for review."))
    return None


def four_eyes(reply: Reply, user: User | None) -> WorkflowError | None:
    """Whoever wrote or last edited a reply never approves it."""
    if user is not None and user.pk in (reply.author_id, reply.last_editor_id):
        return ActionForbidden(
            _("You wrote or last edited this reply: another analyst approves it (four eyes).")
        )
    return None


def _approvable(situation: Situation) -> WorkflowError | None:
    refusal = _under_review(situation)
    if refusal is None and situation.submitted is not None:
        refusal = four_eyes(situation.submitted, situation.user)
    return refusal


def _extendable(situation: Situation) -> WorkflowError | None:
    from signals_app.sla.selectors import terms_of

    signal = situation.signal
    if signal.sla_extended_at is not None:
        return InvalidInput(_("The deadline has already been extended once."))
    if not signal.sla_version_id or terms_of(signal.sla_version).extension is None:
        return InvalidInput(_("The signal's policy does not allow an extension."))
    return None


def _may_lead(situation: Situation) -> WorkflowError | None:
    if situation.signal.parent_id is not None:
        return InvalidInput(_("A signal inside a mass incident cannot lead another one."))
    return None


def _has_own_part(situation: Situation) -> WorkflowError | None:
    if situation.own_part is None:
        return InvalidTransition(_("Your agency has no open part of this signal."))
    return None


def _has_open_parts(situation: Situation) -> WorkflowError | None:
    if not situation.open_parts:
        return InvalidTransition(_("The signal has no open co-executors' parts."))
    return None


def _forwardable(situation: Situation) -> WorkflowError | None:
    if not situation.forwardable:
        return InvalidInput(_("Forwarding needs an outside body of the region (admin → Outside "
                              "bodies) and a mailbox for the answers (an e-mail source)."))  # fmt: skip
    return None


def _delivery_failed(situation: Situation) -> WorkflowError | None:
    if not situation.failed_delivery:
        return InvalidTransition(_("Only a failed delivery can be sent again."))
    return None


def _delivery_missing(situation: Situation) -> WorkflowError | None:
    if not situation.undelivered:
        return InvalidTransition(_("Only an answer the citizen has not got can be marked so."))
    return None


def _reopen_pending(situation: Situation) -> WorkflowError | None:
    if not situation.reopen_pending:
        return InvalidTransition(_("The signal has no reopen request waiting for a decision."))
    return None


def _closed_without_details(situation: Situation) -> WorkflowError | None:
    if situation.signal.closure != Closure.NO_DETAILS:
        return InvalidTransition(_("Only a signal closed for want of details resumes so."))
    return None


def _reopenable(situation: Situation) -> WorkflowError | None:
    if situation.signal.closure == Closure.NO_DETAILS:
        return InvalidTransition(
            _("The signal was closed for want of details: resume it when they come.")
        )
    if situation.reopen_pending:  # one way back into work: the decision on the request
        return InvalidTransition(
            _("The citizen asks to reopen it: confirm or decline the request.")
        )
    return None


# --- the registry ----------------------------------------------------------------------------

S = Status
WRITING = frozenset({S.IN_PROGRESS, S.AWAITING_INFO})
REVIEWABLE = frozenset({S.NEW, *AGENCY_WORK_STATUSES})  # where a reply may wait for review
REPLY_GRANTS = (
    Grant(frozenset({S.NEW}), CENTRE),  # the centre answers itself
    Grant(WRITING, AGENCY_STAFF),
)


def _grant(statuses: Iterable[str], roles: Iterable[str]) -> tuple[Grant, ...]:
    return (Grant(frozenset(statuses), frozenset(roles)),)


ACTIONS: tuple[Action, ...] = (
    Action("take", gettext_lazy("Take into work"), _grant(WRITING, AGENCY_STAFF), "signal_take",
           moves=frozenset({(S.AWAITING_INFO, S.IN_PROGRESS)}), when=_takeable,
           done=gettext_lazy("The signal is yours now.")),
    Action("route", gettext_lazy("Route to an agency"),
           _grant({S.NEW, *AGENCY_WORK_STATUSES}, CENTRE), "signal_route", inputs.RouteInput,
           moves=frozenset({(S.NEW, S.IN_PROGRESS)}), bulk=True, key="r",
           done=gettext_lazy("Routed.")),
    Action("assign", gettext_lazy("Assign"), _grant(AGENCY_WORK_STATUSES, {ANALYST, COORDINATOR}),
           "signal_assign", inputs.AssignInput, bulk=True, key="a", when=_routed,
           done=gettext_lazy("Assignee saved.")),
    Action("forward", gettext_lazy("Forward to an outside body"),
           (Grant(frozenset(OPEN_STATUSES), CENTRE),
            Grant(frozenset(AGENCY_WORK_STATUSES), AGENCY_STAFF)),
           "signal_forward", inputs.ForwardInput, when=_forwardable,
           done=gettext_lazy("Forwarded; the answer will come to the signal's timeline.")),
    Action("part_add", gettext_lazy("Give a part to a co-executor"),
           _grant({S.IN_PROGRESS, S.AWAITING_INFO}, CENTRE), "part_add", inputs.PartInput,
           done=gettext_lazy("The part is given; the co-executor's agency is told.")),
    Action("part_done", gettext_lazy("Answer your agency's part"),
           _grant(AGENCY_WORK_STATUSES, {CO_EXECUTOR}), "part_done", inputs.PartAnswerInput,
           when=_has_own_part, done=gettext_lazy("Your part is answered; the lead agency is told.")),
    Action("part_close", gettext_lazy("Close a co-executor's part"),
           _grant(AGENCY_WORK_STATUSES, {ANALYST, COORDINATOR}), "part_close",
           inputs.PartCloseInput, when=_has_open_parts,
           done=gettext_lazy("The part is closed.")),
    Action("request_info", gettext_lazy("Request details from the citizen"),
           _grant({S.IN_PROGRESS}, AGENCY_STAFF), "signal_request_info", inputs.QuestionInput,
           moves=frozenset({(S.IN_PROGRESS, S.AWAITING_INFO)}),
           done=gettext_lazy("Details requested; the deadlines are paused.")),
    Action("resume", gettext_lazy("Details received: resume"),
           _grant({S.AWAITING_INFO}, AGENCY_STAFF), "signal_resume",
           moves=frozenset({(S.AWAITING_INFO, S.IN_PROGRESS)}),
           done=gettext_lazy("Back in work; the deadlines run again.")),
    Action("extend", gettext_lazy("Extend the deadline"),
           _grant(OPEN_STATUSES, {ANALYST, COORDINATOR}), "signal_deadline_extend",
           inputs.ReasonInput, when=_extendable,
           done=gettext_lazy("Deadline extended; a draft notice to the citizen was added to the replies.")),
    Action("reply", gettext_lazy("Submit a reply for review"), REPLY_GRANTS, "reply_submit",
           inputs.ReplyTextInput,
           moves=frozenset({(S.NEW, S.REPLY_REVIEW), (S.IN_PROGRESS, S.REPLY_REVIEW)}),
           when=_nothing_under_review, done=gettext_lazy("The reply was submitted for review.")),
    Action("draft", gettext_lazy("Save a draft reply"), REPLY_GRANTS, "reply_draft_save",
           inputs.ReplyTextInput, done=gettext_lazy("Draft saved.")),
    Action("approve", gettext_lazy("Approve and publish the reply"),
           _grant(REVIEWABLE, CENTRE), "reply_approve", inputs.ApproveInput,
           moves=frozenset({(S.REPLY_REVIEW, S.ANSWERED)}), when=_approvable,
           done=gettext_lazy("The reply is approved and published.")),
    Action("return", gettext_lazy("Return the reply for rework"), _grant(REVIEWABLE, CENTRE),
           "reply_return", inputs.ReturnInput, moves=frozenset({(S.REPLY_REVIEW, S.IN_PROGRESS)}),
           when=_under_review, done=gettext_lazy("The reply was returned for rework.")),
    Action("revise", gettext_lazy("Edit the reply under review"), _grant(REVIEWABLE, CENTRE),
           "reply_revise", inputs.ReviseInput, when=_under_review,
           done=gettext_lazy("The reply was edited; another analyst approves it.")),
    Action("close", gettext_lazy("Close"), _grant({S.ANSWERED}, CENTRE), "signal_close",
           moves=frozenset({(S.ANSWERED, S.CLOSED)}), done=gettext_lazy("Closed.")),
    Action("reopen", gettext_lazy("Reopen"), _grant({S.ANSWERED, S.CLOSED}, CENTRE),
           "signal_reopen", inputs.ReasonInput,
           moves=frozenset({(S.ANSWERED, S.IN_PROGRESS), (S.CLOSED, S.IN_PROGRESS)}),
           when=_reopenable, done=gettext_lazy("Reopened.")),
    Action("reopen_confirm", gettext_lazy("Not solved: confirm and reopen"),
           _grant({S.ANSWERED, S.CLOSED}, CENTRE), "reopen_request_confirm",
           moves=frozenset({(S.ANSWERED, S.IN_PROGRESS), (S.CLOSED, S.IN_PROGRESS)}),
           when=_reopen_pending,
           done=gettext_lazy("Reopened into a new cycle; the citizen is told.")),
    Action("reopen_decline", gettext_lazy("Decline the reopen request"),
           _grant({S.ANSWERED, S.CLOSED}, CENTRE), "reopen_request_decline", inputs.ReasonInput,
           when=_reopen_pending, done=gettext_lazy("Declined; the citizen is told why.")),
    Action("close_without_details", gettext_lazy("Close: the details did not come"),
           _grant({S.AWAITING_INFO}, CENTRE), "signal_close_without_details",
           moves=frozenset({(S.AWAITING_INFO, S.CLOSED)}),
           done=gettext_lazy("Closed for want of details; the citizen is told.")),
    Action("details_came_late", gettext_lazy("The details came: resume"),
           _grant({S.CLOSED}, CENTRE), "signal_details_came_late",
           moves=frozenset({(S.CLOSED, S.IN_PROGRESS)}), when=_closed_without_details,
           done=gettext_lazy("Back in work; the deadlines run again.")),
    Action("reject", gettext_lazy("Reject"), _grant({S.NEW, S.AWAITING_INFO}, CENTRE),
           "signal_reject", inputs.ReasonInput,
           moves=frozenset({(S.NEW, S.REJECTED), (S.AWAITING_INFO, S.REJECTED)}), bulk=True,
           done=gettext_lazy("Rejected.")),
    Action("restore", gettext_lazy("Restore to new"), _grant({S.REJECTED}, CENTRE),
           "signal_restore", moves=frozenset({(S.REJECTED, S.NEW)}),
           done=gettext_lazy("Restored to the new signals.")),
    Action("duplicate", gettext_lazy("Link as a repeat of another signal"),
           _grant({S.NEW, S.AWAITING_INFO}, CENTRE), "signal_mark_duplicate",
           inputs.DuplicateInput,
           moves=frozenset({(S.NEW, S.REJECTED), (S.AWAITING_INFO, S.REJECTED)}),
           done=gettext_lazy("Marked as a repeat.")),
    Action("merge", gettext_lazy("Merge into a mass incident"), _grant(OPEN_STATUSES, CENTRE),
           "signal_merge", inputs.MergeInput, bulk=True, when=_may_lead,
           done=gettext_lazy("Merged into this mass incident.")),
    Action("category", gettext_lazy("Change the category"), _grant(ALL_STATUSES, CENTRE),
           "signal_change_category", inputs.CategoryInput, bulk=True,
           done=gettext_lazy("Category changed.")),
    Action("priority", gettext_lazy("Change the priority"),
           _grant(OPEN_STATUSES, {ANALYST, COORDINATOR}), "signal_change_priority",
           inputs.PriorityInput, done=gettext_lazy("Priority changed.")),
    Action("channel", gettext_lazy("Correct the channel"), _grant(ALL_STATUSES, CENTRE),
           "signal_change_channel", inputs.ChannelInput, done=gettext_lazy("Channel corrected.")),
    Action("note", gettext_lazy("Add an internal note"),
           _grant(ALL_STATUSES, {ANALYST, EXECUTOR, COORDINATOR}), "note_add", inputs.NoteInput,
           done=gettext_lazy("Note added.")),
    Action("redeliver", gettext_lazy("Send the answer again"), _grant(ALL_STATUSES, CENTRE),
           "signals_app.outbound.services.reply_delivery_retry", inputs.RedeliverInput,
           when=_delivery_failed, done=gettext_lazy("The answer is being sent again.")),
    Action("handed", gettext_lazy("Delivered by other means"),
           _grant(ALL_STATUSES, {ANALYST, COORDINATOR, EXECUTOR}),
           "signals_app.outbound.services.reply_delivery_handed", inputs.HandedInput,
           when=_delivery_missing, done=gettext_lazy("Marked as delivered by other means.")),
)  # fmt: skip
REGISTRY: dict[str, Action] = {action.name: action for action in ACTIONS}
# What a child of a mass incident still does on its own: everything else follows the lead.
FOLLOWER_ACTIONS = frozenset({"note", "channel", "redeliver", "handed"})
# The status moves the generic "move to status" request may make, by target.
BY_TARGET = ("request_info", "resume", "close", "reopen", "reject", "restore")


def registry_problems() -> list[str]:
    """What would make the registry disagree with the transition table (empty: nothing)."""
    problems = []
    made: set[tuple[str, str]] = set()
    for action in ACTIONS:
        for move in action.moves:
            made.add(move)
            if move not in TRANSITION_TABLE:
                problems.append(f"{action.name}: {move} is not in the transition table")
            if move[0] not in action.statuses:
                problems.append(f"{action.name}: makes {move} but is not offered in {move[0]}")
    for move in set(TRANSITION_TABLE) - made:
        problems.append(f"no action makes {move}")
    return problems


# --- reading it ------------------------------------------------------------------------------


def action(name: str) -> Action:
    """The action of that name (KeyError for an unknown one)."""
    return REGISTRY[name]


def actions_available(
    user: User, signal: Signal, *, replies: Iterable[Reply] | None = None
) -> list[Action]:
    """Every action this user may take on this signal now, in the registry's order."""
    situation = Situation(signal, user, replies=replies)
    return [item for item in ACTIONS if item.refusal(situation) is None]


def bulk_actions_for(user: User) -> list[Action]:
    """The bulk actions the bar may offer the user (their roles somewhere allow them); each
    row is then checked on its own."""
    from signals_app.access import kinds_anywhere

    kinds = kinds_anywhere(user=user)
    return [item for item in ACTIONS if item.bulk and kinds & item.roles]


@dataclass(frozen=True)
class Registration:
    """Where a user may register a signal taken by phone or in person (the fast form): into
    the regions where they are an analyst (any agency, or none yet), and into the agencies
    where they work (those agencies only). `all_regions`: a superuser."""

    region_ids: frozenset[int]
    agency_ids: frozenset[int]
    all_regions: bool = False

    @property
    def allowed(self) -> bool:
        return self.all_regions or bool(self.region_ids or self.agency_ids)


def registration_for(user: User) -> Registration:
    """Who may register a signal on the fast form, and where (one rule, read by the form,
    its view and its service)."""
    context = staff_context(user=user)
    regions = frozenset(context.region_ids) if ANALYST in context.roles else frozenset()
    staff = frozenset(
        agency_id for agency_id, role in context.agency_roles.items() if role in AGENCY_STAFF
    )
    return Registration(regions, staff, all_regions=context.is_superuser)


def action_for_move(signal: Signal, target: str) -> Action | None:
    """The action that moves this signal to `target` (the API's generic status change)."""
    for name in BY_TARGET:
        candidate = REGISTRY[name]
        if (signal.status, target) in candidate.moves:
            return candidate
    return None


def authorize(name: str, *, actor: User | None, signal: Signal, **facts: Any) -> None:
    """Raise the refusal of this action for this actor on this (locked) signal, if any; None
    as the actor is the system, which the roles do not bind."""
    refusal = REGISTRY[name].refusal(Situation(signal, actor, **facts))
    if refusal is not None:
        raise refusal


def validate(name: str, *, user: User | None, signal: Signal, data: Mapping[str, Any]) -> dict:
    """The action's input, checked (InvalidInput with the field errors when it is not)."""
    form = REGISTRY[name].input(data=data, context={"signal": signal, "user": user})
    if not form.is_valid():
        raise InvalidInput(_("Check the data sent."), errors=form.errors)
    return dict(form.validated_data)


def perform(
    name: str,
    *,
    user: User,
    signal: Signal,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Any:
    """Check that the action is possible, then its input, and perform it through its service
    (which checks the right again under its lock); return what the service returns. A refusal
    comes before any complaint about the input: who may not act learns that first."""
    item = REGISTRY[name]
    refusal = item.refusal(Situation(signal, user))
    if refusal is not None:
        raise refusal
    values = validate(name, user=user, signal=signal, data=data)
    arguments = {**values, "actor": user}
    for parameter, value in (("signal", signal.pk), ("parent", signal.pk),
                             ("expected_version", expected_version)):  # fmt: skip
        if parameter in item.parameters:
            arguments[parameter] = value
    return item.function(**arguments)


@dataclass
class ActionSet:
    """The actions available on one signal, as the page's templates ask for them."""

    actions: list[Action] = field(default_factory=list)

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(item.name for item in self.actions)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __bool__(self) -> bool:
        return bool(self.actions)

    @property
    def keys(self) -> dict[str, str]:
        """Keyboard key → action name, for the actions that have one."""
        return {item.key: item.name for item in self.actions if item.key}


def input_fields(item: Action) -> list[dict[str, Any]]:
    """The fields of an action's input, as the API's action list describes them."""
    described = []
    for name, form_field in item.input().fields.items():
        kind = {
            serializers.IntegerField: "integer", serializers.ChoiceField: "choice",
            serializers.BooleanField: "boolean",
        }.get(type(form_field), "string")  # fmt: skip
        entry: dict[str, Any] = {
            "name": name, "type": kind, "required": form_field.required,
            "nullable": getattr(form_field, "allow_null", False),
            "help": str(form_field.help_text or ""),
        }  # fmt: skip
        if isinstance(form_field, serializers.ChoiceField):
            entry["choices"] = [
                {"value": value, "label": str(label)} for value, label in form_field.choices.items()
            ]
        described.append(entry)
    return described
