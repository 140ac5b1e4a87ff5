"""Give the open signals of a policy its newest version, in batches."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from signals_app.sla.models import SLAPolicy
from signals_app.sla.recalculate import sla_recalculate_policy
from signals_app.sla.tasks import sla_recalculate


class Command(BaseCommand):
    help = "Recompute the deadlines of a policy's open signals (queued as a Celery task)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--policy", type=int, required=True, help="SLA policy id")
        parser.add_argument(
            "--now", action="store_true", help="Run here and now instead of queueing a task."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        policy = SLAPolicy.objects.filter(pk=options["policy"]).first()
        if policy is None:
            raise CommandError(f"No SLA policy with id {options['policy']}.")
        if options["now"]:
            result = sla_recalculate_policy(policy_id=policy.pk)
            self.stdout.write(
                f"{policy.name}: checked {result['checked']}, changed {result['changed']}"
            )
        else:
            try:
                task = sla_recalculate.delay(policy.pk)
            except Exception as error:  # the broker is away
                raise CommandError(
                    f"The task queue is unavailable ({type(error).__name__}); use --now."
                ) from error
            self.stdout.write(f"{policy.name}: recalculation queued as task {task.id}")
