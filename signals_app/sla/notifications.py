"""Notifications: reads, marking as read, and e-mail digests."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.models import User
from signals_app.sla.models import Notification

logger = logging.getLogger(__name__)


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user=user)
        .select_related("signal")
        .only("id", "kind", "title", "body", "created_at", "read_at", "signal__number")
    )


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read; return how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


DIGEST_LEASE = timedelta(minutes=10)
DIGEST_MAX_AGE = timedelta(days=2)  # older news is not mailed any more (it is in the app)
DIGEST_MAX_LINES = 50
DIGEST_USERS_PER_RUN = 1000


@dataclass(frozen=True)
class DigestRun:
    sent: int
    failed: int


def notifications_email_due(*, now: datetime | None = None) -> DigestRun:
    """E-mail every user one digest of their notifications not yet e-mailed; at least once.

    Per user: the rows are claimed under a digest key (a short transaction), the e-mail is
    sent outside it with a Message-ID made of that key, then the rows are marked e-mailed. A
    worker dying between claim and send leaves the claim to expire; the next run sends the
    same rows again under the same key, so a copy that did go out is recognisable by its
    Message-ID. A failed send releases that user's claim (the next run retries it) and the
    run goes on with the others. Runs every minute (beat) and after each SLA sweep.
    """
    now = now or timezone.now()
    _skip_unreachable(now)
    users = list(
        _due(now)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()[:DIGEST_USERS_PER_RUN]
    )
    sent = failed = 0
    for user_id in users:
        claim = _claim(user_id, now)
        if claim is None:
            continue  # another worker holds this user's rows right now
        key, items = claim
        try:
            _send(key, items)
        except Exception as error:  # one mailbox refusing never stops the others' digests
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(email_claimed_at=None)
            logger.warning(
                "notification_digest_failed user_id=%s count=%s error=%s",
                user_id,
                len(items),
                type(error).__name__,
            )
            failed += 1
            continue
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(
            emailed_at=timezone.now(), email_claimed_at=None
        )
        sent += 1
    if sent or failed:
        logger.info("notification_digest_run sent=%s failed=%s", sent, failed)
    return DigestRun(sent, failed)


def _due(now: datetime) -> QuerySet[Notification]:
    return Notification.objects.filter(
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - DIGEST_LEASE),
        emailed_at__isnull=True,
        created_at__gte=now - DIGEST_MAX_AGE,
    )


def _skip_unreachable(now: datetime) -> None:
    """Rows of users with no address or no account: nothing to send, ever."""
    Notification.objects.filter(emailed_at__isnull=True).filter(
        Q(user__email="") | Q(user__is_active=False)
    ).update(emailed_at=now)


def _claim(user_id: int, now: datetime) -> tuple[str, list[Notification]] | None:
    with transaction.atomic():
        rows = list(
            _due(now)
            .filter(user_id=user_id)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .order_by("created_at", "pk")
        )
        if not rows:
            return None
        # An expired claim is sent again as it was: the same rows under the same key.
        earlier = sorted({row.digest_key for row in rows if row.digest_key})
        if earlier:
            key = earlier[0]
            rows = [row for row in rows if row.digest_key == key]
        else:
            key = uuid.uuid4().hex
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            digest_key=key, email_claimed_at=now
        )
    return key, rows


def digest_message_id(key: str) -> str:
    return f"<digest-{key}@{settings.EMAIL_MESSAGE_DOMAIN}>"


def _send(key: str, items: list[Notification]) -> None:
    user = items[0].user
    subject = ngettext(
        "Control centre: %(count)d new notification",
        "Control centre: %(count)d new notifications",
        len(items),
    ) % {"count": len(items)}
    lines = [f"• {item.title}" for item in items[:DIGEST_MAX_LINES]]
    if len(items) > DIGEST_MAX_LINES:
        lines.append(_("… and %(count)d more") % {"count": len(items) - DIGEST_MAX_LINES})
    body = "\n".join(lines) + "\n\n" + _("Open the back office to see the details.")
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={"Message-ID": digest_message_id(key), "Auto-Submitted": "auto-generated"},
    ).send()
