"""The sweep's index on the big signals table, built without blocking writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("signals_app", "0003_sla")]

    operations = [
        AddIndexConcurrently(
            model_name="signal",
            index=models.Index(
                condition=models.Q(("sla_next_check_at__isnull", False)),
                fields=["sla_next_check_at"],
                name="signal_sla_check_idx",
            ),
        ),
    ]
