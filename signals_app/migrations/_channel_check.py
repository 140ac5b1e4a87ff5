"""The check of known channels, replaced without a long lock when the registry gains one: the
new check is added NOT VALID (a brief lock), then validated while writes go on (the migration
using it is not atomic)."""

from django.db import migrations, models


def channel_check_replace(codes: list[str]) -> migrations.SeparateDatabaseAndState:
    listed = ", ".join(f"'{code}'" for code in codes)
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.RemoveConstraint(model_name="signal", name="signal_channel_known"),
            migrations.AddConstraint(
                model_name="signal",
                constraint=models.CheckConstraint(
                    condition=models.Q(("channel__in", codes)), name="signal_channel_known"
                ),
            ),
        ],
        database_operations=[
            migrations.RunSQL(
                "ALTER TABLE signals_app_signal DROP CONSTRAINT IF EXISTS signal_channel_known, "
                f"ADD CONSTRAINT signal_channel_known CHECK (channel IN ({listed})) NOT VALID",
                reverse_sql=migrations.RunSQL.noop,
            ),
            migrations.RunSQL(
                "ALTER TABLE signals_app_signal VALIDATE CONSTRAINT signal_channel_known",
                reverse_sql=migrations.RunSQL.noop,
            ),
        ],
    )


def policies_extend(apps, having: str, added: str) -> None:
    """The regions' deadline policies that cover `having` cover `added` too."""
    SLAPolicy = apps.get_model("signals_app", "SLAPolicy")
    for policy in SLAPolicy.objects.filter(channels__contains=[having]):
        if added not in policy.channels:
            policy.channels = [*policy.channels, added]
            policy.save(update_fields=["channels"])
