"""Bulk writes with PostgreSQL COPY: the demo loader and the ingest batches use them.

COPY skips the per-row work of INSERT statements (parameter binding and query splitting) and is
the fastest way in; ids are reserved from the table's sequence first, so the rows can refer to
each other before they are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` ids from the model's id sequence (sequences are not transactional)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(
    cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY rows (tuples in the order of `columns`) into a table.

    A refused row (a constraint) raises Django's IntegrityError, as an INSERT would.
    """
    with (
        connection.wrap_database_errors,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def copy_instances(objects: Sequence[models.Model]) -> None:
    """Write unsaved model instances that already carry their ids (see reserve_ids).

    Every concrete column is written except generated ones; auto_now(_add) fields left empty are
    set as save() would set them (a value the caller gave is kept: a history loaded after the
    fact has its own times), JSON values are sent as jsonb.
    """
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = [
        field for field in meta.concrete_fields if not isinstance(field, models.GeneratedField)
    ]
    stamped = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    json_fields = {field.attname for field in fields if isinstance(field, models.JSONField)}

    def row(instance: models.Model) -> list[Any]:
        for field in stamped:
            if getattr(instance, field.attname) is None:
                field.pre_save(instance, add=True)
        values = []
        for field in fields:
            value = getattr(instance, field.attname)
            if field.attname in json_fields and value is not None:
                value = Jsonb(value)
            values.append(value)
        return values

    with connection.cursor() as cursor:
        copy_rows(cursor, meta.db_table, [field.column for field in fields], map(row, objects))
