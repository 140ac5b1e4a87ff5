"""Invariants the ORM cannot declare.

- A signal's agency, category and municipality belong to the signal's region (composite keys).
- A subtopic's parent is a topic of the same region: two levels, never three.
- The signal timeline is append-only: a trigger refuses UPDATE and DELETE of events.
"""

from django.db import migrations

COMPOSITE_KEYS = [
    ("signals_app_signal", "signal_agency_same_region", "agency_id", "agencies_agency"),
    ("signals_app_signal", "signal_category_same_region", "category_id", "signals_app_category"),
    (
        "signals_app_signal",
        "signal_municipality_same_region",
        "municipality_id",
        "agencies_municipality",
    ),
    ("signals_app_source", "source_agency_same_region", "agency_id", "agencies_agency"),
]

APPEND_ONLY = """
CREATE FUNCTION signals_app_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signal events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER signal_event_append_only
    BEFORE UPDATE OR DELETE ON signals_app_signalevent
    FOR EACH ROW EXECUTE FUNCTION signals_app_event_append_only();
"""
APPEND_ONLY_REVERSE = """
DROP TRIGGER signal_event_append_only ON signals_app_signalevent;
DROP FUNCTION signals_app_event_append_only();
"""

# parent_level is 1 exactly when the row has a parent; with the (id, region_id, level) key of
# the parent this forces the parent to be a level-1 topic of the same region.
TWO_LEVELS = """
ALTER TABLE signals_app_category ADD COLUMN parent_level smallint
    GENERATED ALWAYS AS (CASE WHEN parent_id IS NULL THEN NULL ELSE 1 END) STORED;
ALTER TABLE signals_app_category ADD CONSTRAINT category_parent_is_topic_same_region
    FOREIGN KEY (parent_id, region_id, parent_level)
    REFERENCES signals_app_category (id, region_id, level) DEFERRABLE INITIALLY DEFERRED;
"""
TWO_LEVELS_REVERSE = """
ALTER TABLE signals_app_category DROP CONSTRAINT category_parent_is_topic_same_region;
ALTER TABLE signals_app_category DROP COLUMN parent_level;
"""


class Migration(migrations.Migration):
    dependencies = [("signals_app", "0001_initial"), ("agencies", "0002_same_region_keys")]

    operations = [
        *[
            migrations.RunSQL(
                sql=f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}, region_id) "
                f"REFERENCES {target} (id, region_id) DEFERRABLE INITIALLY DEFERRED",
                reverse_sql=f"ALTER TABLE {table} DROP CONSTRAINT {name}",
            )
            for table, name, column, target in COMPOSITE_KEYS
        ],
        migrations.RunSQL(sql=TWO_LEVELS, reverse_sql=TWO_LEVELS_REVERSE),
        migrations.RunSQL(sql=APPEND_ONLY, reverse_sql=APPEND_ONLY_REVERSE),
    ]
