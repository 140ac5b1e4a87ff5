"""Outside bodies (floor 3): a signal forwarded by e-mail to an organisation that does not work
in the system, the answer that comes back to the letter's tracking address, and the lateness of
an answer past its deadline (59-FZ forwarding: 7 days). The signal's own status and deadlines
stay as they are: the centre or the agency uses the answer to answer the citizen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import timeline
from signals_app.citizen import citizen_language
from signals_app.contacts import tracking_address
from signals_app.errors import InvalidInput
from signals_app.models import Attachment, Forward, OutsideBody, Reply, Signal
from signals_app.outbound import outbox
from signals_app.selectors import answers_mailbox
from signals_app.workflow import notify
from signals_app.workflow.actions import authorize
from signals_app.workflow.services.base import begin, finish, late_once_tell


def letter_text(signal: Signal, *, note: str, with_contact: bool) -> str:
    """The letter to the outside body: the centre's note, the signal's text and place, and the
    citizen's contact only when the user chose to pass it on."""
    with citizen_language():
        lines = [
            _("Appeal %(number)s is forwarded to you by competence.") % {"number": signal.number}
        ]
        if note:
            lines += ["", note]
        lines += ["", _("The appeal:"), signal.text]
        if signal.address:
            lines += ["", _("Address: %(address)s") % {"address": signal.address}]
        if with_contact and (signal.author_name or signal.author_contact):
            contact = ", ".join(
                part for part in (signal.author_name, signal.author_contact) if part
            )
            lines += [_("The citizen: %(contact)s") % {"contact": contact}]
        lines += ["", _("Please answer this letter: the answer reaches the appeal's case.")]
    return "\n".join(lines)


@transaction.atomic
def signal_forward(
    *, signal: Signal | int, body: OutsideBody, actor: User | None, note: str = "",
    with_contact: bool = False, expected_version: int | None = None,
) -> Forward:  # fmt: skip
    """Forward the signal by e-mail to an outside body: the letter leaves through the outbox
    (in this transaction), its answer is due in FORWARD_DAYS days."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("forward", actor=actor, signal=locked)
    if body.region_id != locked.region_id or not body.is_active:
        raise InvalidInput(_("No such outside body in the signal's region."),
                           errors={"body": [_("No such outside body in the signal's region.")]})  # fmt: skip
    if Forward.objects.filter(signal=locked, body=body, state=Forward.State.WAITING).exists():
        message = _("The signal waits for this body's answer already.")
        raise InvalidInput(message, errors={"body": [message]})
    mailbox = answers_mailbox(locked)
    if mailbox is None:
        message = _("The region has no mailbox for the answers: set one up on an e-mail source.")
        raise InvalidInput(message, errors={"body": [message]})
    at = change.at
    due = at + timedelta(days=settings.FORWARD_DAYS)
    letter = Reply.objects.create(
        signal=locked, kind=Reply.Kind.FORWARD, state=Reply.State.PUBLISHED, author=actor,
        last_editor=actor, text=letter_text(locked, note=note.strip(), with_contact=with_contact),
        submitted_at=at, published_at=at,
    )  # fmt: skip
    forward = Forward.objects.create(
        signal=locked, body=body, letter=letter, forwarded_by=actor, forwarded_at=at, due_at=due
    )
    with citizen_language():
        subject = _("Appeal %(number)s: forwarded by competence") % {"number": locked.number}
    outbox.reply_delivery_to(
        reply=letter, signal=locked, method="email",
        target={"to": body.email, "from": mailbox.reply_address, "subject_exact": subject,
                "reply_to": tracking_address(mailbox.reply_address, forward.token)},
    )  # fmt: skip
    change.entries.append(timeline.forwarded(
        locked.pk, body=body.name, due=due, actor_id=actor.pk if actor else None, at=at,
        note=note.strip(),
    ))  # fmt: skip
    finish(change, actor=actor)
    return forward


@transaction.atomic
def forward_answered(
    *, token: str, text: str, attachments: Sequence[Attachment] = (), at: datetime | None = None
) -> Forward | None:
    """The outside body's answer came back to the tracking address: into the timeline (with
    its files), the forward answered, the people on the signal told. An unknown key: None."""
    forward = Forward.objects.select_for_update().select_related("body").filter(token=token).first()
    if forward is None:
        return None
    change = begin(forward.signal_id, None, None)
    now = at or timezone.now()
    if forward.state == Forward.State.WAITING:
        forward.state, forward.answered_at = Forward.State.ANSWERED, now
    forward.answer = "\n\n".join(part for part in (forward.answer, text.strip()) if part)[:20000]
    forward.save(update_fields=["state", "answered_at", "answer"])
    change.entries.append(
        timeline.forward_answered(forward.signal_id, body=forward.body.name, text=text, at=now)
    )
    for attachment in attachments:
        attachment.signal = change.signal
    Attachment.objects.bulk_create(attachments)
    notify.forward_answered(change.signal, body=forward.body.name, text=text)
    finish(change, actor=None)
    return forward


def forwards_overdue_tell(*, now: datetime | None = None, limit: int = 500) -> int:
    """Forwards whose answer is late: each told once (the timeline, the people on the signal)."""

    def tell(change, forward: Forward) -> None:  # type: ignore[no-untyped-def]
        change.entries.append(
            timeline.forward_overdue(forward.signal_id, body=forward.body.name, at=change.at)
        )
        notify.forward_overdue(change.signal, forward)

    return late_once_tell(
        Forward.objects.filter(state=Forward.State.WAITING), now=now or timezone.now(),
        limit=limit, related="body", tell=tell,
    )  # fmt: skip


__all__ = ["forward_answered", "forwards_overdue_tell", "signal_forward"]
