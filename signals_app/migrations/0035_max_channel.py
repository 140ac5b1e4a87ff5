"""MAX, the national messenger, as a channel."""

from django.conf import settings
from django.db import migrations, models

from signals_app.migrations._channel_check import channel_check_replace, policies_extend


def max_in_social_policies(apps, schema_editor):
    policies_extend(apps, having="telegram", added="max")


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
        channel_check_replace(['vk', 'ok', 'telegram', 'max', 'pos', 'widget', 'phone', 'email', 'api', 'open311', 'import']),
        migrations.RunPython(max_in_social_policies, migrations.RunPython.noop),
    ]
