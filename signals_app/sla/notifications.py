"""Notifications: reads, marking as read, and e-mail digests."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
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


def notifications_email_digest(*, ids: list[int]) -> int:
    """E-mail each recipient one message listing their new notifications; return e-mails sent.

    Rows are claimed (`emailed_at` set) before sending, outside any lock held during the
    network call; a failed send gives its rows back and raises, so the task retries them.
    """
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, emailed_at__isnull=True)
            .select_related("user")
        )
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
            emailed_at=timezone.now()
        )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in claimed:
        if notification.user.email and notification.user.is_active:
            by_user[notification.user_id].append(notification)
    sent = 0
    for items in by_user.values():
        user = items[0].user
        subject = ngettext(
            "Control centre: %(count)d new notification",
            "Control centre: %(count)d new notifications",
            len(items),
        ) % {"count": len(items)}
        body = "\n".join(f"• {item.title}" for item in items)
        body += "\n\n" + _("Open the back office to see the details.")
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception:
            Notification.objects.filter(pk__in=[item.pk for item in items]).update(emailed_at=None)
            logger.warning("notification_digest_failed user_id=%s count=%s", user.pk, len(items))
            raise
        sent += 1
    logger.info("notification_digest_sent emails=%s notifications=%s", sent, len(claimed))
    return sent
