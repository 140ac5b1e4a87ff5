"""Composite foreign keys: a row's parent, territory and calendar belong to its own region."""

from django.db import migrations

COMPOSITE_KEYS = [
    ("agencies_municipality", "municipality_parent_same_region", "parent_id", "agencies_municipality"),
    ("agencies_agency", "agency_parent_same_region", "parent_id", "agencies_agency"),
    ("agencies_agency", "agency_municipality_same_region", "municipality_id", "agencies_municipality"),
    ("agencies_agency", "agency_calendar_same_region", "calendar_id", "agencies_workcalendar"),
]


def forward_sql():
    return [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}, region_id) "
        f"REFERENCES {target} (id, region_id) DEFERRABLE INITIALLY DEFERRED"
        for table, name, column, target in COMPOSITE_KEYS
    ]


def backward_sql():
    return [f"ALTER TABLE {table} DROP CONSTRAINT {name}" for table, name, _, _ in COMPOSITE_KEYS]


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]

    operations = [
        migrations.RunSQL(sql=forward, reverse_sql=backward)
        for forward, backward in zip(forward_sql(), backward_sql(), strict=True)
    ]
