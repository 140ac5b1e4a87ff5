"""The queue's columns: which exist, which a user shows and in what order, and how dense.

A user's own arrangement is kept on the user (`queue_columns`, `queue_density`); a URL may
carry `cols=number,deadline,…` (a saved view keeps the columns it was saved with), which wins.
The number always comes first: it is the row's link.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
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


# --- the cells, written once per row in Python (a page of 50 rows × 11 columns rendered
# through template conditions cost more than the queries behind it) -----------------------


def _mass_mark(signal) -> str:  # type: ignore[no-untyped-def]
    if signal.is_mass_incident:
        return format_html(
            ' <span class="badge badge-mass" title="{}">М</span>', _("Mass incident")
        )
    if signal.parent_id:
        return format_html(' <span class="badge" title="{}">↳</span>', _("Part of a mass incident"))
    return ""


def _deadline(row, escalation_column: bool) -> str:  # type: ignore[no-untyped-def]
    title = format_html(' title="{}"', row.badge_title) if row.badge_title else ""
    cell = format_html('<span class="sla sla-{}"{}>{}</span>', row.badge.state, title,
                       row.badge_text)  # fmt: skip
    level = row.signal.escalation_level
    if level and not escalation_column:
        cell += format_html('<br><span class="esc esc-{}" title="{}">↑{}</span>', level,
                            _("Escalation level %(level)s") % {"level": level}, level)  # fmt: skip
    return cell


def _agency(signal) -> str:  # type: ignore[no-untyped-def]
    if not signal.agency_id:
        return format_html('<span class="muted">{}</span>', _("not routed"))
    return signal.agency.short_name or signal.agency.name


def _category_title(signal) -> str:  # type: ignore[no-untyped-def]
    category = signal.category
    if category is None:
        return ""
    return f"{category.parent.name} → {category.name}" if category.parent else category.name


def _status(row) -> str:  # type: ignore[no-untyped-def]
    signal = row.signal
    cell = format_html('<span class="badge status-{}">{}</span>', signal.status,
                       signal.get_status_display())  # fmt: skip
    if row.undelivered:
        cell += format_html(' <span class="badge undelivered-mark" title="{}">{}</span>',
                            _("The answer did not reach the citizen"), _("not delivered"))  # fmt: skip
    return cell


def row_cells(row, columns: list[Column]) -> SafeString:  # type: ignore[no-untyped-def]
    """The row's cells in the user's columns (every text escaped by format_html)."""
    signal = row.signal
    escalation_column = any(column.key == "escalation" for column in columns)
    cells = []
    for column in columns:
        key = column.key
        if key == "number":
            cells.append(format_html('<td class="nowrap"><a class="row-link" href="{}">{}</a>{}</td>',
                                     row.url, signal.number, _mass_mark(signal)))  # fmt: skip
        elif key == "received":
            cells.append(format_html(
                '<td class="nowrap"><time datetime="{}">{}</time><br><span class="muted small">{}'
                "</span></td>", row.received_iso, row.received_ago, row.received_exact,
            ))  # fmt: skip
        elif key == "deadline":
            cells.append(
                format_html('<td class="nowrap">{}</td>', _deadline(row, escalation_column))
            )
        elif key == "escalation":
            cells.append(format_html('<td class="num"><span class="esc esc-{0}">{0}</span></td>',
                                     signal.escalation_level))  # fmt: skip
        elif key == "channel":
            cells.append(format_html('<td><span class="ch ch-{}" title="{}">{}</span></td>',
                                     signal.channel, signal.get_channel_display(),
                                     row.channel_mark))  # fmt: skip
        elif key == "author":
            cells.append(format_html('<td class="author"><div class="clip">{}</div></td>',
                                     row.author or "—"))  # fmt: skip
        elif key == "text":
            cells.append(format_html('<td class="text-cell"><div class="lines" title="{}">{}</div>'
                                     "</td>", signal.text_head, row.line))  # fmt: skip
        elif key == "municipality":
            name = signal.municipality.name if signal.municipality_id else ""
            cells.append(format_html('<td class="mid"><div class="lines" title="{}">{}</div></td>',
                                     name, name or "—"))  # fmt: skip
        elif key == "category":
            cells.append(format_html('<td class="mid"><div class="lines" title="{}">{}</div></td>',
                                     _category_title(signal),
                                     signal.category.name if signal.category_id else "—"))  # fmt: skip
        elif key == "agency":
            cells.append(format_html('<td class="mid"><div class="lines" title="{}">{}</div></td>',
                                     signal.agency.name if signal.agency_id else "",
                                     _agency(signal)))  # fmt: skip
        elif key == "assignee":
            cells.append(format_html('<td class="mid"><div class="lines">{}</div></td>',
                                     row.assignee or "—"))  # fmt: skip
        elif key == "status":
            cells.append(format_html('<td class="status">{}</td>', _status(row)))
        elif key == "priority":
            cells.append(format_html('<td class="nowrap"><span class="badge prio-{}">{}</span></td>',
                                     signal.priority, signal.get_priority_display()))  # fmt: skip
    return mark_safe("".join(cells))  # noqa: S308 — every part built by format_html
