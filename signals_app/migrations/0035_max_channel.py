"""MAX, the national messenger, as a channel."""

from django.conf import settings
from django.db import migrations, models


def max_in_social_policies(apps, schema_editor):
    """The regions' deadline policies for the social networks cover MAX too."""
    SLAPolicy = apps.get_model("signals_app", "SLAPolicy")
    for policy in SLAPolicy.objects.filter(channels__contains=["telegram"]):
        if "max" not in policy.channels:
            policy.channels = [*policy.channels, "max"]
            policy.save(update_fields=["channels"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('agencies', '0006_citizen_loop'),
        ('signals_app', '0034_mailbox'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='signal',
            name='channel',
            field=models.CharField(choices=[('vk', 'VK'), ('ok', 'Odnoklassniki'), ('telegram', 'Telegram'), ('max', 'MAX'), ('pos', 'Gosuslugi feedback platform (POS)'), ('widget', 'Website widget'), ('phone', 'Phone'), ('email', 'E-mail'), ('api', 'API'), ('open311', 'Open311'), ('import', 'Import')], max_length=16, verbose_name='channel'),
        ),
        migrations.AlterField(
            model_name='source',
            name='channel',
            field=models.CharField(choices=[('vk', 'VK'), ('ok', 'Odnoklassniki'), ('telegram', 'Telegram'), ('max', 'MAX'), ('pos', 'Gosuslugi feedback platform (POS)'), ('widget', 'Website widget'), ('phone', 'Phone'), ('email', 'E-mail'), ('api', 'API'), ('open311', 'Open311'), ('import', 'Import')], max_length=16, verbose_name='channel'),
        ),
        migrations.AlterField(
            model_name='survey',
            name='answered_via',
            field=models.CharField(blank=True, choices=[('page', 'Status page'), ('telegram', 'Telegram buttons'), ('max', 'MAX buttons')], max_length=16, verbose_name='answered through'),
        ),
        # The check of known channels is replaced without a long lock: added NOT VALID (a brief
        # lock), then validated while writes go on.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='signal',
                    name='signal_channel_known',
                ),
                migrations.AddConstraint(
                    model_name='signal',
                    constraint=models.CheckConstraint(condition=models.Q(('channel__in', ['vk', 'ok', 'telegram', 'max', 'pos', 'widget', 'phone', 'email', 'api', 'open311', 'import'])), name='signal_channel_known'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE signals_app_signal DROP CONSTRAINT IF EXISTS signal_channel_known, "
                    "ADD CONSTRAINT signal_channel_known CHECK (channel IN ('vk', 'ok', 'telegram', "
                    "'max', 'pos', 'widget', 'phone', 'email', 'api', 'open311', 'import')) NOT VALID",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "ALTER TABLE signals_app_signal VALIDATE CONSTRAINT signal_channel_known",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
        ),
        migrations.RunPython(max_in_social_policies, migrations.RunPython.noop),
    ]
