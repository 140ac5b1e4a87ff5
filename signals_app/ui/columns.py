"""The queue's columns: which exist, which a user shows and in what order, and how dense.

A user's own arrangement is kept on the user (`queue_columns`, `queue_density`); a URL may
carry `cols=number,deadline,…` (a saved view keeps the columns it was saved with), which wins.
The number always comes first: it is the row's link.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    ordering: str = ""  # the `ordering` value that sorts by it (an indexed one), if any


ALL = (
    Column("number", _("Number"), "number"),
    Column("received", _("Received"), "received"),
    Column("deadline", _("Deadline"), "deadline"),
    Column("escalation", _("Escalation level")),
    Column("channel", _("Channel")),
    Column("author", _("Author")),
    Column("text", _("Text")),
    Column("municipality", _("Municipality")),
    Column("category", _("Category")),
    Column("agency", _("Agency")),
    Column("assignee", _("Assignee")),
    Column("status", _("Status")),
    Column("priority", _("Priority")),
)
BY_KEY = {column.key: column for column in ALL}
# The escalation level rides in the deadline cell by default (one column less at 1440 px).
DEFAULT = [column.key for column in ALL if column.key not in ("priority", "escalation")]
DENSITIES = ("comfortable", "compact")


def clean(keys: list[str] | str) -> list[str]:
    """Known keys, each once, the number first; the default when nothing is left."""
    if isinstance(keys, str):
        keys = keys.split(",")
    kept = [key for key in dict.fromkeys(key.strip() for key in keys) if key in BY_KEY]
    if not kept:
        return list(DEFAULT)
    return ["number", *(key for key in kept if key != "number")]


def keys_for(user, params: QueryDict | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    chosen = (params or QueryDict()).get("cols", "")
    if chosen:
        return clean(chosen)
    return clean(getattr(user, "queue_columns", None) or DEFAULT)


def columns_for(user, params: QueryDict | None = None) -> list[Column]:  # type: ignore[no-untyped-def]
    return [BY_KEY[key] for key in keys_for(user, params)]


def header_links(columns: list[Column], params: QueryDict) -> dict[str, tuple[str, str]]:
    """For each sortable column: the query string that sorts by it (again: the other way)
    and its current direction ("asc", "desc" or "")."""
    current = params.get("ordering", "")
    links = {}
    for column in columns:
        if not column.ordering:
            continue
        query = params.copy()
        query.pop("page", None)
        direction = ""
        if current == column.ordering:
            direction, query["ordering"] = "asc", f"-{column.ordering}"
        elif current == f"-{column.ordering}":
            direction, query["ordering"] = "desc", column.ordering
        else:
            query["ordering"] = column.ordering
            if not current and column.key == "deadline":
                direction, query["ordering"] = "asc", "-deadline"  # the default order
        links[column.key] = (query.urlencode(), direction)
    return links
