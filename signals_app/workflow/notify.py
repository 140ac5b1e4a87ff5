"""Who hears of a change made in the workflow (floor 3): the person a signal is assigned to,
the centre's reviewers of a submitted reply, the author of a returned one. In-app notifications,
mailed in the digests (`sla.notifications`); written in the change's transaction, so a change
rolled back tells nobody. Nobody is told of their own action."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from agencies.models import Role, User
from signals_app.models import Notification, Reply, Signal


def _write(user_ids: set[int], *, actor: User | None, signal: Signal, kind: str,
           title: str, body: str = "") -> int:  # fmt: skip
    user_ids.discard(actor.pk if actor is not None else 0)
    Notification.objects.bulk_create(
        Notification(user_id=user_id, signal=signal, kind=kind, title=title, body=body[:1000])
        for user_id in sorted(user_ids)
    )
    return len(user_ids)


def assigned(signal: Signal, *, assignee_id: int | None, actor: User | None) -> int:
    if assignee_id is None:
        return 0
    title = _("Signal %(number)s is assigned to you") % {"number": signal.number}
    return _write({assignee_id}, actor=actor, signal=signal, kind="assigned", title=title)


def reviewers(signal: Signal) -> set[int]:
    """Who reviews a reply: the curators of the signal's municipality, else the region's
    analysts (as the escalation ladder finds them)."""
    active = User.objects.filter(is_active=True)
    if signal.municipality_id is not None:
        curators = set(
            active.filter(curated_municipalities=signal.municipality_id).values_list(
                "pk", flat=True
            )
        )
        if curators:
            return curators
    return set(
        active.filter(Q(regions=signal.region_id), groups__name=Role.ANALYST).values_list(
            "pk", flat=True
        )
    )


def reply_submitted(signal: Signal, reply: Reply, *, actor: User | None) -> int:
    title = _("An answer to %(number)s waits for review") % {"number": signal.number}
    return _write(
        reviewers(signal), actor=actor, signal=signal, kind="review", title=title, body=reply.text
    )


def reply_returned(signal: Signal, reply: Reply, *, actor: User | None, comment: str) -> int:
    title = _("Your answer to %(number)s is returned for rework") % {"number": signal.number}
    author = {reply.author_id} if reply.author_id else set()
    return _write(author, actor=actor, signal=signal, kind="returned", title=title, body=comment)


def delivery_failed(signal: Signal, reply: Reply, *, reason: str) -> int:
    """The citizen did not get an answer (the channel refused it, or there is no way back):
    its author and the analyst who approved it (else the signal's reviewers) are told."""
    people = {pk for pk in (reply.author_id, reply.reviewer_id) if pk}
    if reply.reviewer_id is None:
        people |= reviewers(signal)
    if reply.kind in Reply.WRITTEN_KINDS:
        title = _("The answer to %(number)s did not reach the citizen")
    else:
        title = _("The message to the citizen of %(number)s did not reach them")
    title = title % {"number": signal.number}
    return _write(people, actor=None, signal=signal, kind="undelivered", title=title, body=reason)


def reopen_requested(signal: Signal, *, comment: str) -> int:
    """The citizen says «не решена»: the signal's reviewers decide on the request."""
    title = _("The citizen says %(number)s is not solved: confirm or decline the reopening") % {
        "number": signal.number
    }
    return _write(reviewers(signal), actor=None, signal=signal, kind="reopen_request",
                  title=title, body=comment)  # fmt: skip


def citizen_wrote(signal: Signal, *, text: str, late: bool) -> int:
    """The author wrote again on the signal's thread: its assignee hears of it (the reviewers
    when nobody is assigned, and always for details that came after it was closed)."""
    people = _on_the_signal(signal)
    if late:
        people |= reviewers(signal)
    if late:
        title = _("The details for %(number)s came after it was closed: resume it?")
    else:
        title = _("The citizen wrote again about %(number)s")
    return _write(people, actor=None, signal=signal, kind="citizen_wrote",
                  title=title % {"number": signal.number}, body=text)  # fmt: skip


def _on_the_signal(signal: Signal) -> set[int]:
    """Who works on the signal: its assignee, else the reviewers."""
    people = {signal.assignee_id} if signal.assignee_id else set()
    return people or reviewers(signal)


def forward_answered(signal: Signal, *, body: str, text: str) -> int:
    title = _("%(body)s answered about %(number)s") % {"body": body, "number": signal.number}
    return _write(_on_the_signal(signal), actor=None, signal=signal, kind="forward_answered",
                  title=title, body=text)  # fmt: skip


def forward_overdue(signal: Signal, forward) -> int:  # type: ignore[no-untyped-def]
    """An outside body's answer is late: the one who forwarded it and those on the signal."""
    people = _on_the_signal(signal) | (
        {forward.forwarded_by_id} if forward.forwarded_by_id else set()
    )
    title = _("%(body)s did not answer about %(number)s in time") % {
        "body": forward.body.name, "number": signal.number,
    }  # fmt: skip
    return _write(people, actor=None, signal=signal, kind="forward_overdue", title=title)


def part_given(signal: Signal, *, people: set[int], task: str, actor: User | None) -> int:
    title = _("Your agency is a co-executor of %(number)s") % {"number": signal.number}
    return _write(set(people), actor=actor, signal=signal, kind="part_given", title=title,
                  body=task)  # fmt: skip


def part_answered(signal: Signal, *, agency: str, text: str, actor: User | None) -> int:
    title = _("%(agency)s answered its part of %(number)s") % {
        "agency": agency, "number": signal.number,
    }  # fmt: skip
    return _write(_on_the_signal(signal), actor=actor, signal=signal, kind="part_answered",
                  title=title, body=text)  # fmt: skip


def part_overdue(signal: Signal, *, agency: str, people: set[int]) -> int:
    title = _("The part of %(agency)s in %(number)s is late") % {
        "agency": agency, "number": signal.number,
    }  # fmt: skip
    return _write(set(people) | _on_the_signal(signal), actor=None, signal=signal,
                  kind="part_overdue", title=title)  # fmt: skip


def no_way_back(rows) -> int:  # type: ignore[no-untyped-def]
    """Tell about the replies just published that have no way back to the citizen."""
    told = 0
    for row in rows:
        if row.state == "skipped":
            told += delivery_failed(row.signal, row.reply, reason=row.last_error)
    return told
