"""Charts of a report drawn on the server as SVG, so that the page and a printed copy show the
same picture without any script. Labels are escaped; sizes are fixed, numbers are the data."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#1f5fbf"
WARN = "#a12727"


def columns(
    items: Sequence[tuple[str, float]], *, title: str, width: int = 720, height: int = 200
) -> SafeString:
    """Vertical bars (volume by day, a distribution): labels under every few bars."""
    if not items:
        return mark_safe("")
    top = max(value for _label, value in items) or 1
    left, bottom, step = 36, 24, (width - 40) / len(items)
    label_every = max(1, len(items) // 12)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="12" font-size="10" fill="#667085">{int(top)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        bar = (height - bottom - 16) * value / top
        x = left + index * step
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - bar:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="{BAR}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" font-size="10" fill="#667085">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every label escaped above


LABEL_CHARS = 30  # what the label column holds at 11 px (Cyrillic included)


def _fit(label: str) -> str:
    """A label that ends before its bar: cut at a word with «…», the whole on hover."""
    if len(label) <= LABEL_CHARS:
        return label
    cut = label[: LABEL_CHARS - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > LABEL_CHARS // 2 else label[: LABEL_CHARS - 1]) + "…"


def rows(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 520,
    percent: bool = False,
    low_is_bad: bool = False,
) -> SafeString:
    """Horizontal bars with their labels (topics; on-time share by agency)."""
    if not items:
        return mark_safe("")
    line, label_width = 18, 220
    top = 1.0 if percent else (max(value for _label, value in items) or 1)
    height = line * len(items) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(items):
        y = index * line + 2
        bar = (width - label_width - 60) * value / top
        shown = f"{value * 100:.0f} %" if percent else f"{value:g}"
        colour = WARN if low_is_bad and percent and value < 0.5 else BAR
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="11"><title>{escape(label)}</title>'
            f"{escape(_fit(label))}</text>"
            f'<rect x="{label_width}" y="{y + 2}" width="{bar:.1f}" height="{line - 6}" '
            f'fill="{colour}"/><text x="{label_width + bar + 4:.1f}" y="{y + 12}" '
            f'font-size="11">{shown}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every label escaped above


def report_charts(figures: dict) -> dict[str, SafeString]:
    """The four charts of the monthly report."""
    topics: dict[str, int] = {}
    for row in figures.get("by_topic", []):
        topics[row["topic"] or "—"] = topics.get(row["topic"] or "—", 0) + row["count"]
    agencies = sorted(
        (row for row in figures.get("agencies", []) if row["on_time_share"] is not None),
        key=lambda row: -row["received"],
    )[:15]
    return {
        "by_day": columns(
            [(row["date"][8:10], row["count"]) for row in figures.get("by_day", [])],
            title="by day",
        ),
        "topics": rows(sorted(topics.items(), key=lambda item: -item[1])[:12], title="topics"),
        "on_time": rows(
            # short names where the agencies have them (reports frozen before keep the full)
            [(row.get("short") or row["agency"], row["on_time_share"]) for row in agencies],
            title="on time",
            percent=True,
            low_is_bad=True,
        ),
        "answer_histogram": columns(
            [(row["bucket"], row["count"]) for row in figures.get("answer_histogram", [])],
            title="answer time",
            height=160,
        ),
    }
