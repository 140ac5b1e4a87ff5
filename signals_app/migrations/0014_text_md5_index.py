"""An index on the hash of the text for near-duplicate checks, built without blocking writes."""

import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("signals_app", "0013_mass_incidents")]

    operations = [
        AddIndexConcurrently(
            model_name="signal",
            index=models.Index(
                django.db.models.functions.text.MD5("text"), name="signal_text_md5_idx"
            ),
        ),
    ]
