"""The index that finds the signal a new message of its thread continues, built without
blocking writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('signals_app', '0032_citizen_wrote'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='signal',
            index=models.Index(condition=models.Q(('thread_id', ''), _negated=True), fields=['thread_id'], name='signal_thread_idx'),
        ),
    ]
