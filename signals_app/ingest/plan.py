"""What the intake decides about each new signal, for one message or a whole batch (floor 4).

The decisions, in order: the municipality and category the payload names; near-duplicates (in
the last day, and within the batch) — a repeat is set aside; classification by the region's
rules, then by its text model when it is confident; routing — a comment on an official page
goes to that page's agency, anything else by the routing rules. The result is a plan per
message for `signals_create_many`: the signal as it arrived and the steps taken at arrival.
Reference data is read once per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership, Municipality, OfficialPage
from signals_app.channels.payload import Outcome
from signals_app.ingest.classifier import classify_by_model
from signals_app.ingest.duplicates import Candidate, NearDuplicateIndex
from signals_app.ingest.rules import (
    classification_rules,
    classify_by_rules,
    route_by_rules,
    routing_rules,
)
from signals_app.models import Attachment, Category, InboundMessage, RoutingRule, Signal, Source
from signals_app.workflow.services import PlanStep, SignalPlan

T = TypeVar("T")


class _Memo:
    """Reference data of one call, each piece read once."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def get(self, key: Any, load: Callable[..., T], *args: Any) -> T:
        if key not in self._values:
            self._values[key] = load(*args)
        return self._values[key]


@dataclass
class Arrival:
    """One message on its way to a signal: the signal's first fields and what was decided."""

    message: InboundMessage
    outcome: Outcome
    signal: Signal  # unsaved: the decisions read it
    plan: SignalPlan
    category_note: str = ""
    steps: list[PlanStep] = field(default_factory=list)


def signal_fields(message: InboundMessage, outcome: Outcome) -> dict[str, Any]:
    """The fields of the new signal that come straight from the message and its payload."""
    data = outcome.data
    assert data is not None
    source = message.source
    return {
        "region": source.region,
        "channel": source.channel,
        "text": data.text.strip(),
        "received_at": message.received_at,
        "source": source,
        "external_id": outcome.key,
        "external_url": data.external_url,
        "thread_id": data.thread_id,
        "author_name": data.author_name,
        "author_profile_url": data.author_profile_url,
        "author_contact": data.author_contact,
        "posted_at": data.posted_at,
        "address": data.address,
        "latitude": data.latitude,
        "longitude": data.longitude,
    }


def plan_arrivals(items: list[tuple[InboundMessage, Outcome]]) -> list[SignalPlan]:
    """Plans for new signals, in the order of the messages (which must be in order of arrival:
    a repeat is recognised against the ones before it)."""
    now = timezone.now()
    memo = _Memo()
    arrivals = []
    for message, outcome in items:
        data = outcome.data
        assert data is not None
        region_id = message.source.region_id
        fields = signal_fields(message, outcome)
        fields["municipality"] = memo.get(
            ("municipality", region_id, data.municipality_hint),
            municipality_named, region_id, data.municipality_hint,
        )  # fmt: skip
        fields["category"] = memo.get(
            ("category", region_id, data.category_hint), category_coded, region_id,
            data.category_hint,
        )  # fmt: skip
        plan = SignalPlan(fields=fields, created_at=now, attachments=attachments_of(outcome),
                          actor_id=data.registered_by)  # fmt: skip
        arrivals.append(Arrival(message, outcome, Signal(**fields), plan))
    _duplicates(arrivals, now)
    _classify([a for a in arrivals if not a.steps], memo, now)
    for arrival in arrivals:
        if not any(step.action == "duplicate" for step in arrival.steps):
            _route(arrival, memo, now)
        arrival.plan.steps = arrival.steps
        # The instance the decisions read becomes the signal, as it arrived (the category the
        # classifier chose comes with its step).
        arrival.signal.category = arrival.plan.fields["category"]
        arrival.plan.signal = arrival.signal
    return [arrival.plan for arrival in arrivals]


def attachments_of(outcome: Outcome) -> list[Attachment]:
    """The links and stored files the message brought, as unsaved attachments."""
    data = outcome.data
    assert data is not None
    links = [
        Attachment(
            url=item["url"], name=(item.get("name") or item["url"].rsplit("/", 1)[-1])[:300],
            content_type=str(item.get("content_type") or "")[:100], size=item.get("size"),
        )
        for item in data.attachments
    ]  # fmt: skip
    files = [
        Attachment(
            file=item["path"], name=str(item.get("name") or "photo")[:300],
            content_type=str(item.get("content_type", ""))[:100], size=item.get("size"),
            sha256=str(item.get("sha256", "")),
        )
        for item in data.files
    ]  # fmt: skip
    return links + files


def _duplicates(arrivals: list[Arrival], now: Any) -> None:
    """A repeat (the same author again, the same long text elsewhere) is set aside."""
    index = NearDuplicateIndex.load([arrival.signal for arrival in arrivals])
    plans: dict[int, SignalPlan] = {}
    for arrival in arrivals:
        found = index.find(arrival.signal)
        if found is None:
            index.add(arrival.signal)
            plans[id(arrival.signal)] = arrival.plan
            continue
        # An earlier signal, or one earlier in this batch (its plan gets its id and number).
        original: Candidate | SignalPlan = (
            found if isinstance(found, Candidate) else plans[id(found)]
        )
        arrival.steps.append(PlanStep("duplicate", at=now, original=original))


def _classify(arrivals: list[Arrival], memo: _Memo, now: Any) -> None:
    """Rules first; then the region's text model, only when it is confident enough."""
    rule_note = str(_("Classification rule"))
    unknown: dict[int, list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        signal = arrival.signal
        if signal.category_id is not None:
            continue
        rules = memo.get(("rules", signal.region_id), classification_rules, signal.region_id)
        category = classify_by_rules(signal, rules)
        if category is not None:
            _categorise(arrival, category, rule_note, now)
        else:
            unknown[signal.region_id].append(arrival)
    for region_id, waiting in unknown.items():
        predictions = classify_by_model(region_id=region_id, texts=[a.signal.text for a in waiting])
        chosen = {p.category_id for p in predictions if p is not None}
        categories = Category.objects.in_bulk(list(chosen), field_name="pk") if chosen else {}
        for arrival, prediction in zip(waiting, predictions, strict=True):
            if prediction is None:
                continue
            category = categories.get(prediction.category_id)
            if category is None or not category.is_active or category.region_id != region_id:
                continue
            note = _("Text classifier v%(version)s, confidence %(confidence).2f") % {
                "version": prediction.version,
                "confidence": prediction.confidence,
            }
            _categorise(arrival, category, note, now)


def _categorise(arrival: Arrival, category: Category, note: str, now: Any) -> None:
    arrival.signal.category = category  # the routing rules read it
    arrival.steps.append(PlanStep("category", at=now, category=category, reason=note))


def _route(arrival: Arrival, memo: _Memo, now: Any) -> None:
    signal, source = arrival.signal, arrival.message.source
    data = arrival.outcome.data
    assert data is not None
    page_id, agency_id = arrival.outcome.page_id, data.agency_id
    agency: Agency | None = memo.get(
        ("page", source.pk, page_id, agency_id), page_agency, source, page_id, agency_id
    )
    if agency is not None and agency.is_active and agency.region_id == signal.region_id:
        if not agency_id:
            reason = str(_("Official page of the agency"))
        elif source.channel == "widget":
            reason = str(_("The widget on the agency's page"))
        else:
            reason = str(_("Chosen when the signal was registered"))
        arrival.steps.append(PlanStep("route", at=now, agency=agency, reason=reason))
        return
    rules = memo.get(("routing", signal.region_id), routing_rules, signal.region_id)
    rule = route_by_rules(signal, rules)
    if rule is None:
        return
    assignee_id = None
    if rule.executor_id is not None:
        members = memo.get(("members", signal.region_id), _rule_members, rules)
        # An executor who has left the agency: routed without them.
        if (rule.executor_id, rule.agency_id) in members:
            assignee_id = rule.executor_id
    arrival.steps.append(
        PlanStep("route", at=now, agency=rule.agency, assignee_id=assignee_id, reason=str(rule))
    )


def _rule_members(rules: list[RoutingRule]) -> set[tuple[int, int]]:
    """(executor, agency) pairs of the rules that are real memberships."""
    return set(
        Membership.objects.filter(
            agency_id__in={rule.agency_id for rule in rules if rule.executor_id},
            user_id__in={rule.executor_id for rule in rules if rule.executor_id},
        ).values_list("user_id", "agency_id")
    )


def page_agency(source: Source, page_id: str, agency_id: int | None = None) -> Agency | None:
    """The agency whose page (or widget) the message came from, if any."""
    if agency_id is not None:  # the widget on this agency's own page
        return Agency.objects.filter(pk=agency_id, region_id=source.region_id).first()
    if source.official_page_id:
        return source.official_page.agency if source.official_page else None
    if page_id:
        page = (
            OfficialPage.objects.select_related("agency")
            .filter(network=source.channel, external_id=page_id, is_active=True)
            .first()
        )
        if page is not None:
            return page.agency
    return source.agency


def municipality_named(region_id: int, hint: str) -> Municipality | None:
    if not hint:
        return None
    if hint.isdigit():
        return Municipality.objects.filter(region_id=region_id, oktmo=hint).first()
    return (
        Municipality.objects.filter(region_id=region_id, name__iexact=hint).order_by("pk").first()
    )


def category_coded(region_id: int, hint: str) -> Category | None:
    if not hint:
        return None
    return Category.objects.filter(region_id=region_id, code=hint, is_active=True).first()
