"""Indexes for duplicate detection on the big signals table, built without blocking writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("signals_app", "0009_duplicate_of")]

    operations = [
        AddIndexConcurrently(
            model_name='signal',
            index=models.Index(condition=models.Q(('author_profile_url', ''), _negated=True), fields=['author_profile_url', '-received_at'], name='signal_author_recent_idx'),
        ),
        AddIndexConcurrently(
            model_name='signal',
            index=models.Index(condition=models.Q(('duplicate_of__isnull', False)), fields=['duplicate_of'], name='signal_duplicate_of_idx'),
        ),
    ]
