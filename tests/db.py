"""Helpers for tests of database invariants."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction


def assert_refused(write: Callable[[], object]) -> None:
    """Assert that the database refuses the write (deferred constraints checked at once)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        write()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
