"""Classification and routing by rules: first match wins. Reads only; the caller writes."""

from __future__ import annotations

import re

from signals_app.ingest.models import ClassificationRule, RoutingRule, keyword_list
from signals_app.models import Category, Signal


def _matches(text: str, keywords: str, pattern: str = "") -> bool:
    lowered = text.lower()
    if any(word in lowered for word in keyword_list(keywords)):
        return True
    return bool(pattern) and re.search(pattern, text, flags=re.IGNORECASE) is not None


def classification_rules(region_id: int) -> list[ClassificationRule]:
    return list(
        ClassificationRule.objects.filter(region_id=region_id, is_active=True).select_related(
            "category"
        )
    )


def routing_rules(region_id: int) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(region_id=region_id, is_active=True).select_related(
            "agency", "executor"
        )
    )


def classify_by_rules(
    signal: Signal, rules: list[ClassificationRule] | None = None
) -> Category | None:
    """The category of the first active rule whose keywords or expression occur in the text.

    `rules` are the region's active rules when the caller has loaded them (a batch).
    """
    if rules is None:
        rules = classification_rules(signal.region_id)
    for rule in rules:
        if rule.category.is_active and _matches(signal.text, rule.keywords, rule.pattern):
            return rule.category
    return None


def route_by_rules(signal: Signal, rules: list[RoutingRule] | None = None) -> RoutingRule | None:
    """The first active rule whose every condition holds and whose agency is active.

    A matching rule that points to an inactive agency is skipped and flagged for the admin.
    """
    category = signal.category
    topic_id = category.parent_id if category is not None else None
    if rules is None:
        rules = routing_rules(signal.region_id)
    for rule in rules:
        if rule.category_id is not None and rule.category_id not in (signal.category_id, topic_id):
            continue
        if rule.municipality_id is not None and rule.municipality_id != signal.municipality_id:
            continue
        if rule.source_id is not None and rule.source_id != signal.source_id:
            continue
        if rule.official_page_id is not None and (
            signal.source is None or signal.source.official_page_id != rule.official_page_id
        ):
            continue
        if rule.keywords.strip() and not _matches(signal.text, rule.keywords):
            continue
        if not rule.agency.is_active:
            if not rule.skipped_inactive_agency:
                RoutingRule.objects.filter(pk=rule.pk).update(skipped_inactive_agency=True)
                rule.skipped_inactive_agency = True
            continue
        return rule
    return None
