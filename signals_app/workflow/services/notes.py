"""Internal notes, with @mentions that notify colleagues who may see the signal."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import timeline
from signals_app.access import actor_kinds
from signals_app.errors import InvalidInput
from signals_app.locks import signal_lock
from signals_app.models import Note, Notification, Signal
from signals_app.workflow.actions import authorize

MAX_MENTIONS = 20
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


@transaction.atomic
def note_add(*, signal: Signal | int, text: str, actor: User) -> Note:
    """Add an internal note (the centre and the signal's agency staff).

    Every `@username` in it that names an active user who may see the signal gets a
    notification; names of people who may not see it are left alone (and not revealed). A note
    is not a change of the signal: its version stays.
    """
    locked = signal_lock(signal)
    authorize("note", actor=actor, signal=locked)
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The note is empty."))
    note = Note.objects.create(signal=locked, author=actor, text=text)
    mentioned = _mentioned_users(locked, text, actor)
    timeline.write([
        timeline.note_added(locked.pk, note_id=note.pk, mentioned=[user.pk for user in mentioned],
                            actor_id=actor.pk, at=timezone.now())
    ])  # fmt: skip
    title = _("%(name)s mentioned you in a note on signal %(number)s") % {
        "name": actor.get_full_name() or actor.username,
        "number": locked.number,
    }
    Notification.objects.bulk_create(
        Notification(user=user, signal=locked, kind="mention", title=title, body=text[:1000])
        for user in mentioned
    )
    return note


def _mentioned_users(signal: Signal, text: str, actor: User) -> list[User]:
    names = {name.rstrip(".").lower() for name in MENTION.findall(text)}
    if not names:
        return []
    condition = Q()
    for name in sorted(names)[:MAX_MENTIONS]:
        condition |= Q(username__iexact=name)
    candidates = User.objects.filter(condition, is_active=True).exclude(pk=actor.pk).order_by("pk")
    return [user for user in candidates if actor_kinds(user=user, signal=signal)]
