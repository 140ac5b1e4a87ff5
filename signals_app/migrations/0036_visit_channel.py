"""Citizens who come in person as a channel."""

from django.conf import settings
from django.db import migrations, models

from signals_app.migrations._channel_check import channel_check_replace, policies_extend


def visit_in_appeal_policies(apps, schema_editor):
    policies_extend(apps, having="email", added="visit")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('agencies', '0006_citizen_loop'),
        ('signals_app', '0035_max_channel'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='signal',
            name='channel',
            field=models.CharField(choices=[('vk', 'VK'), ('ok', 'Odnoklassniki'), ('telegram', 'Telegram'), ('max', 'MAX'), ('pos', 'Gosuslugi feedback platform (POS)'), ('widget', 'Website widget'), ('phone', 'Phone'), ('visit', 'In person'), ('email', 'E-mail'), ('api', 'API'), ('open311', 'Open311'), ('import', 'Import')], max_length=16, verbose_name='channel'),
        ),
        migrations.AlterField(
            model_name='source',
            name='channel',
            field=models.CharField(choices=[('vk', 'VK'), ('ok', 'Odnoklassniki'), ('telegram', 'Telegram'), ('max', 'MAX'), ('pos', 'Gosuslugi feedback platform (POS)'), ('widget', 'Website widget'), ('phone', 'Phone'), ('visit', 'In person'), ('email', 'E-mail'), ('api', 'API'), ('open311', 'Open311'), ('import', 'Import')], max_length=16, verbose_name='channel'),
        ),
        channel_check_replace(['vk', 'ok', 'telegram', 'max', 'pos', 'widget', 'phone', 'visit', 'email', 'api', 'open311', 'import']),
        migrations.RunPython(visit_in_appeal_policies, migrations.RunPython.noop),
    ]
