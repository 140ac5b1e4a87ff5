"""Indexes for the queue's default order and the signal page's related signals, built
without blocking writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models import F, Q


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("signals_app", "0015_answer_templates_saved_views")]

    operations = [
        AddIndexConcurrently(
            model_name="signal",
            index=models.Index(
                F("next_deadline_at").asc(nulls_last=True),
                F("received_at").desc(),
                F("id").desc(),
                name="signal_queue_order_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="signal",
            index=models.Index(
                fields=["address", "-received_at"],
                name="signal_address_idx",
                condition=~Q(address=""),
            ),
        ),
        AddIndexConcurrently(
            model_name="signal",
            index=models.Index(
                fields=["author_contact", "-received_at"],
                name="signal_contact_idx",
                condition=~Q(author_contact=""),
            ),
        ),
    ]
