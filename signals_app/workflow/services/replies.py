"""Public answers: drafts, submission for review, approval and publication, return for rework.

Four eyes (the `approve` action's condition): whoever wrote or last edited a reply never
approves it. A reviewer may edit a submitted reply (the timeline keeps both texts); another
reviewer then approves it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app.choices import Status
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.locks import reply_lock
from signals_app.models import Reply, Signal
from signals_app.outbound import outbox
from signals_app.outbound.models import WebhookEvent
from signals_app.workflow import changes, notify
from signals_app.workflow.actions import authorize
from signals_app.workflow.changes import Change
from signals_app.workflow.services.base import (
    begin,
    children_get_reply,
    draft_write,
    finish,
    reply_facts,
)
from signals_app.workflow.services.parts import open_parts_refusal
from signals_app.workflow.services.tell import followers_tell, survey_ask


def _reply_input(text: str, kind: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The reply is empty."))
    if kind not in Reply.WRITTEN_KINDS:
        raise InvalidInput(_("Unknown reply kind."))
    return text


def _own_draft(locked: Signal, draft: Reply | int, actor: User) -> Reply:
    draft_id = draft if isinstance(draft, int) else draft.pk
    found = (
        Reply.objects.select_for_update()
        .filter(pk=draft_id, signal=locked, state__in=(Reply.State.DRAFT, Reply.State.RETURNED))
        .first()
    )
    if found is None:
        raise InvalidInput(_("The draft no longer exists or has been submitted already."))
    if found.author_id not in (None, actor.pk):
        raise InvalidInput(_("Only the author of a draft may change it."))
    return found


@transaction.atomic
def reply_draft_save(
    *,
    signal: Signal | int,
    text: str,
    actor: User,
    kind: str = Reply.Kind.FINAL,
    draft: Reply | int | None = None,
) -> Reply:
    """Save the actor's draft answer (new, or an edit of their own draft or returned reply)."""
    change = begin(signal, actor, None)
    locked = change.signal
    authorize("draft", actor=actor, signal=locked)
    text = _reply_input(text, kind)
    own = _own_draft(locked, draft, actor) if draft is not None else None
    return draft_write(locked, text=text, kind=kind, author=actor, draft=own)


@transaction.atomic
def reply_submit(
    *,
    signal: Signal | int,
    text: str,
    actor: User,
    kind: str = Reply.Kind.FINAL,
    draft: Reply | int | None = None,
    expected_version: int | None = None,
) -> Reply:
    """Submit an answer for the centre's review; a final one moves the signal to review.

    With `draft`, the actor's own draft (or returned reply) is the one submitted.
    """
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("reply", actor=actor, signal=locked)
    text = _reply_input(text, kind)
    if kind == Reply.Kind.FINAL and locked.status == Status.AWAITING_INFO:
        raise InvalidTransition(
            _("Resume the work on the signal before submitting the final answer.")
        )
    if kind == Reply.Kind.FINAL:
        open_parts_refusal(locked)
    now = change.at
    if draft is not None:
        reply = _own_draft(locked, draft, actor)
        reply.text, reply.kind, reply.state = text, kind, Reply.State.SUBMITTED
        reply.author = reply.last_editor = actor
        reply.submitted_at = now
        reply.save(update_fields=["text", "kind", "state", "author", "last_editor", "submitted_at"])
    else:
        reply = Reply.objects.create(
            signal=locked, kind=kind, state=Reply.State.SUBMITTED, text=text, author=actor,
            last_editor=actor, submitted_at=now,
        )  # fmt: skip
    changes.reply_submitted(change, reply)
    finish(change, actor=actor)
    notify.reply_submitted(locked, reply, actor=actor)
    return reply


def _review(
    name: str, reply: Reply | int, actor: User | None, expected_version: int | None,
    refusal: str,
) -> tuple[Reply, Change]:  # fmt: skip
    locked_reply, signal = reply_lock(reply, expected_version)
    authorize(name, actor=actor, signal=signal)
    if locked_reply.state != Reply.State.SUBMITTED:
        raise InvalidTransition(refusal)
    return locked_reply, Change(signal, actor_id=actor.pk if actor else None, at=timezone.now())


@transaction.atomic
def reply_approve(
    *, reply: Reply | int, actor: User | None, expected_version: int | None = None
) -> Reply:
    """Approve and publish a submitted reply; a final one answers the signal."""
    locked_reply, change = _review(
        "approve", reply, actor, expected_version,
        _("Only a reply waiting for review can be approved."),
    )  # fmt: skip
    signal = change.signal
    if locked_reply.kind == Reply.Kind.FINAL:
        open_parts_refusal(signal)  # a part given after the answer was submitted
    locked_reply.state = Reply.State.PUBLISHED
    locked_reply.reviewer = actor
    locked_reply.published_at = locked_reply.reviewed_at = change.at
    locked_reply.save(update_fields=["state", "reviewer", "published_at", "reviewed_at"])
    # Written in this transaction: the answer goes out exactly when it is published.
    notify.no_way_back(outbox.reply_deliveries_enqueue(pairs=[(locked_reply, signal)]))
    outbox.webhook_emit(
        event=WebhookEvent.REPLY_PUBLISHED, signal=signal, extra=reply_facts(locked_reply)
    )
    if signal.is_mass_incident:
        children_get_reply(signal, locked_reply, actor)
    changes.reply_approved(change, locked_reply)
    if locked_reply.kind == Reply.Kind.FINAL:
        survey_ask(change)  # «Проблема решена?», a little after the answer
        followers_tell(change, locked_reply)
    finish(change, actor=actor)
    return locked_reply


@transaction.atomic
def reply_return(
    *, reply: Reply | int, comment: str, actor: User | None, expected_version: int | None = None
) -> Reply:
    """Return a submitted reply for rework with a comment."""
    comment = (comment or "").strip()
    locked_reply, change = _review(
        "return", reply, actor, expected_version,
        _("Only a reply waiting for review can be returned."),
    )  # fmt: skip
    if not comment:
        raise InvalidInput(_("Say what has to be reworked."))
    locked_reply.state = Reply.State.RETURNED
    locked_reply.reviewer = actor
    locked_reply.review_comment = comment
    locked_reply.reviewed_at = change.at
    locked_reply.save(update_fields=["state", "reviewer", "review_comment", "reviewed_at"])
    changes.reply_returned(change, locked_reply, comment=comment)
    finish(change, actor=actor)
    notify.reply_returned(change.signal, locked_reply, actor=actor, comment=comment)
    return locked_reply


@transaction.atomic
def reply_revise(
    *, reply: Reply | int, text: str, actor: User, expected_version: int | None = None
) -> Reply:
    """A reviewer edits a submitted reply before it is approved: both texts stay in the
    timeline, and the reviewer becomes its last editor (so another analyst approves it)."""
    locked_reply, change = _review(
        "revise", reply, actor, expected_version,
        _("Only a reply waiting for review can be edited."),
    )  # fmt: skip
    text = _reply_input(text, locked_reply.kind)
    if text == locked_reply.text:
        return locked_reply
    old = locked_reply.text
    locked_reply.text, locked_reply.last_editor = text, actor
    locked_reply.save(update_fields=["text", "last_editor"])
    changes.reply_edited(change, locked_reply, old=old)
    finish(change, actor=actor)
    return locked_reply
