"""Load the demo region: territories, agencies, topics, sources, users and signals."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from signals_app.analytics.early_warning import alerts_detect
from signals_app.demo.history import demo_outbreak_load, demo_signals_load
from signals_app.demo.loader import DEMO_PASSWORD, demo_reference_load, demo_users_create
from signals_app.demo.votes import demo_votes_load
from signals_app.ingest.classifier import classifier_train
from signals_app.models import Signal

CLASSIFIER_DEMO_LIMIT = 30_000  # enough for the demo; `classifier_train` takes up to 100,000


class Command(BaseCommand):
    help = "Create the demo region (74) with its reference data, demo users and N signals."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--signals", type=int, default=20_000, help="How many signals (default 20000)."
        )
        parser.add_argument(
            "--days", type=int, default=182, help="Spread over this many past days."
        )
        parser.add_argument("--seed", type=int, default=74)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the demo region already has signals.",
        )
        parser.add_argument(
            "--no-classifier",
            action="store_true",
            help="Do not train the text classifier on the loaded signals.",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        count = options["signals"]
        if count < 0 or options["days"] < 1:
            raise CommandError("--signals must be ≥ 0 and --days ≥ 1.")
        if options["if_empty"] and Signal.objects.filter(region__code="74").exists():
            self.stdout.write("Demo region already loaded; nothing to do.")
            return
        started = time.monotonic()
        try:
            data = demo_reference_load()
        except Exception as error:
            if error.__class__.__name__ == "ImproperlyConfigured":
                raise CommandError(str(error)) from error
            raise
        users = demo_users_create(region=data.region)
        demo_votes_load(region=data.region)
        self.stdout.write(f"Reference data ready in {time.monotonic() - started:.1f} s")

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            self.stdout.write(f"  signals {done}/{total}  ({elapsed:.0f} s)")

        written = demo_signals_load(
            data=data, count=count, seed=options["seed"], days=options["days"], progress=progress
        )
        if written >= 1000:  # a history the early warning has a baseline in
            demo_outbreak_load(data=data)
            opened = alerts_detect(region=data.region).opened
            self.stdout.write(f"Early warning: a spike planted today, {opened} alert(s) opened")
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Loaded {written} signals in {elapsed:.1f} s"))
        if not options["no_classifier"]:
            result = classifier_train(region=data.region, limit=CLASSIFIER_DEMO_LIMIT)
            if result.classifier is not None:
                self.stdout.write(
                    f"Text classifier v{result.classifier.version}: held-out accuracy "
                    f"{result.classifier.accuracy:.1%} ({result.seconds:.0f} s)"
                )
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(u for u, _ in users)
        )
