"""Train the text classifier of a region on its classified signals and print its accuracy."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Region
from signals_app.ingest.classifier import TRAIN_LIMIT, classifier_train


class Command(BaseCommand):
    help = (
        "Train a new version of the text classifier on the region's classified history; "
        "a fifth is held out to measure its accuracy. Without --region, every region."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--region", help="Region code, e.g. 74 (default: every region)")
        parser.add_argument(
            "--threshold", type=float, help="Confidence threshold (default: CLASSIFIER_THRESHOLD)"
        )
        parser.add_argument("--limit", type=int, default=TRAIN_LIMIT, help="Most recent signals")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        regions = Region.objects.order_by("code")
        if options["region"]:
            regions = regions.filter(code=options["region"])
            if not regions.exists():
                raise CommandError(f"No region with code {options['region']}.")
        threshold = options["threshold"]
        if threshold is not None and not 0 <= threshold <= 1:
            raise CommandError("The threshold is a probability between 0 and 1.")
        for region in regions:
            result = classifier_train(region=region, threshold=threshold, limit=options["limit"])
            model = result.classifier
            if model is None:
                self.stdout.write(f"{region.code}: not trained — {result.reason}")
                continue
            self.stdout.write(
                f"{region.code}: version {model.version}, {model.samples} training and "
                f"{model.holdout} held-out signals, {len(model.classes)} categories, "
                f"{result.seconds:.1f} s\n"
                f"  held-out accuracy {model.accuracy:.1%}; at threshold {model.threshold:.2f}: "
                f"coverage {model.coverage:.1%}, accuracy {model.accuracy_above_threshold:.1%}"
            )
