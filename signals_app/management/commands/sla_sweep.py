"""Run the escalation sweep once, here (the beat runs it every minute on the sla queue)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from signals_app import dispatch
from signals_app.sla.sweep import sla_sweep_batch


class Command(BaseCommand):
    help = "Fire the escalation steps that are due, batch after batch, until none remain."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        checked = fired = notified = 0
        ids: list[int] = []
        while True:
            result = sla_sweep_batch(digest=False)
            ids += result.notification_ids
            checked, fired, notified = (
                checked + result.checked,
                fired + result.fired,
                notified + result.notifications,
            )
            if not result.more:
                break
        if ids:
            dispatch.send("default.notification_digest", ids)  # or the minute's run mails them
        self.stdout.write(f"checked {checked}, fired {fired}, notifications {notified}")
