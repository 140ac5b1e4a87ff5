"""Small display helpers of the case-management pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from signals_app import channels
from signals_app.ui import formatting

register = template.Library()


@register.filter
def channel_mark(channel: str) -> str:
    """The short mark drawn in the channel icon."""
    return channels.mark(channel)


register.filter("span", formatting.span)
register.filter("ago", formatting.ago)


@register.filter
def negative(value: timedelta | None) -> bool:
    return value is not None and value.total_seconds() < 0


@register.filter
def person(user) -> str:  # type: ignore[no-untyped-def]
    """A user's full name, else the login."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


@register.filter
def get_item(mapping, key):  # type: ignore[no-untyped-def]
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def is_selected(option, value) -> bool:  # type: ignore[no-untyped-def]
    """Whether a select's option is among the field's current value(s)."""
    option = str(getattr(option, "value", option))
    if value is None:
        return option in ("", "unknown")
    if isinstance(value, bool):  # a yes/no/unknown select reads its data as a boolean
        return option == ("true" if value else "false")
    if isinstance(value, list | tuple):
        return option in {str(item) for item in value}
    return option == str(value)


# The filters drawn as a searchable checkbox list instead of a multiple select.
PICKERS = ("status", "channel", "priority", "category", "municipality", "agency", "assignee")


@register.inclusion_tag("components/picker.html")
def picker(field):  # type: ignore[no-untyped-def]
    """A filter as a dropdown of checkboxes with a search box; topics with their subtopics
    indented under them. The summary names what is chosen, «все» when nothing is."""
    chosen = {str(getattr(value, "pk", value)) for value in field.value() or ()}
    options = []
    for choice, label in field.field.choices:
        value = str(getattr(choice, "value", choice))
        if value == "":
            continue
        instance = getattr(choice, "instance", None)
        level = 0
        if field.name == "category" and instance.parent_id:  # a subtopic, under its topic
            level, label = 1, instance.name
        options.append({"value": value, "label": label, "checked": value in chosen, "level": level})
    return {"field": field, "options": options, "summary": _summary(options)}


def _summary(options: list[dict]) -> str:  # type: ignore[type-arg]
    from django.utils.translation import gettext, ngettext

    names = [str(option["label"]) for option in options if option["checked"]]
    if not names:
        return gettext("all")
    if len(names) <= 2:
        return ", ".join(names)
    rest = len(names) - 2
    more = ngettext("and %(count)d more", "and %(count)d more", rest) % {"count": rest}
    return f"{names[0]}, {names[1]} {more}"


@register.filter
def is_picker(field) -> bool:  # type: ignore[no-untyped-def]
    return field.name in PICKERS


@register.filter
def term_left(value, clock: str) -> str:  # type: ignore[no-untyped-def]
    """What is left of a deadline in its clock's units (see formatting.term_left)."""
    return formatting.term_left(value, clock)


@register.simple_tag
def admin_count(cl) -> str:  # type: ignore[no-untyped-def]
    """«5 политик сроков»: the admin's count in the language's plural forms, where the model's
    admin gives them (`count_label`, an `ngettext_lazy` keyed on "count")."""
    label = getattr(cl.model_admin, "count_label", None)
    count = cl.result_count
    if label is not None:
        return str(label % {"count": count})
    name = cl.opts.verbose_name if count == 1 else cl.opts.verbose_name_plural
    return f"{count} {name}"


@register.simple_tag
def queue_cells(row, columns):  # type: ignore[no-untyped-def]
    """A queue row's cells in the user's columns (signals_app/ui/columns.py)."""
    from signals_app.ui.columns import row_cells

    return row_cells(row, columns)
