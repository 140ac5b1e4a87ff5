"""The API's permission matrix: each role against each endpoint, as the UI decides.

A signal the user may not see is a 404 (another agency's included); an action the role may not
take is a 403; either way nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signals_app.choices import Status
from signals_app.models import Reply, SignalEvent
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

ROLES = [
    "analyst", "supervisor", "coordinator", "executor", "outsider_executor", "foreign_analyst",
    "nobody",
]  # fmt: skip

# (status the signal is in, endpoint, body, roles that may do it)
ACTIONS = [
    (Status.NEW, "signal_route", {"agency": "AGENCY"}, {"analyst"}),
    (Status.IN_PROGRESS, "signal_assign", {"assignee": "EXECUTOR"}, {"analyst", "coordinator"}),
    (Status.NEW, "signal_transition", {"to_status": "rejected", "reason": "Спам"}, {"analyst"}),
    (Status.IN_PROGRESS, "signal_transition", {"to_status": "awaiting_info", "reason": "Какой дом?"},
     {"coordinator", "executor"}),
    (Status.ANSWERED, "signal_transition", {"to_status": "closed"}, {"analyst"}),
    (Status.ANSWERED, "signal_transition", {"to_status": "in_progress", "reason": "Не решено"},
     {"analyst"}),
    (Status.REJECTED, "signal_transition", {"to_status": "new"}, {"analyst"}),
    (Status.IN_PROGRESS, "signal_replies", {"text": "Ответ", "kind": "final"},
     {"coordinator", "executor"}),
    (Status.REPLY_REVIEW, "reply_review", {"decision": "approve"}, {"analyst"}),
    (Status.REPLY_REVIEW, "reply_review", {"decision": "return", "comment": "Доработать"},
     {"analyst"}),
    (Status.IN_PROGRESS, "signal_notes", {"text": "Заметка"}, {"analyst", "coordinator", "executor"}),
]  # fmt: skip
SEES_NEW = {"analyst", "supervisor"}
SEES_ROUTED = {"analyst", "supervisor", "coordinator", "executor"}


def _sees(role: str, status: str) -> bool:
    return role in (SEES_NEW if status in (Status.NEW, Status.REJECTED) else SEES_ROUTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("status", "endpoint", "body", "allowed"), ACTIONS)
def test_role_against_action(
    api, request, region, agency, analyst, executor, coordinator, role, status, endpoint, body,
    allowed,
):  # fmt: skip
    signal = SignalFactory(region=region)
    drive(signal, status, analyst=analyst, executor=executor, agency=agency)
    reply = Reply.objects.filter(signal=signal).values_list("pk", flat=True).last()
    values = {"AGENCY": agency.pk, "EXECUTOR": executor.pk}
    payload = {key: values.get(value, value) for key, value in body.items()}
    payload["version"] = signal.version
    args = [signal.number, reply] if endpoint == "reply_review" else [signal.number]
    events_before = SignalEvent.objects.filter(signal=signal).count()
    client = api(request.getfixturevalue(role))
    response = client.post(reverse(f"api:{endpoint}", args=args), payload)
    events_after = SignalEvent.objects.filter(signal=signal).count()
    assert response["Content-Type"] == "application/json"
    if not _sees(role, status):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert events_after == events_before
    elif role in allowed:
        assert response.status_code in (200, 201), response.json()
        assert events_after > events_before
    else:
        assert response.status_code == 403, response.json()
        assert response.json()["code"] in ("forbidden", "permission_denied")
        assert events_after == events_before


READS = ["signal_detail", "signal_replies", "signal_notes"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", READS)
def test_role_against_reads(api, request, region, agency, analyst, executor, role, endpoint):
    signal = SignalFactory(region=region)
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    response = api(request.getfixturevalue(role)).get(
        reverse(f"api:{endpoint}", args=[signal.number])
    )
    assert response.status_code == (200 if role in SEES_ROUTED else 404)


@pytest.mark.parametrize("role", ROLES)
def test_the_list_holds_exactly_what_the_role_sees(
    api, request, region, other_region, agency, analyst, executor, role
):
    new = SignalFactory(region=region)
    routed = drive(
        SignalFactory(region=region), Status.IN_PROGRESS,
        analyst=analyst, executor=executor, agency=agency,
    )  # fmt: skip
    SignalFactory(region=other_region)  # seen by the foreign analyst only
    response = api(request.getfixturevalue(role)).get(reverse("api:signal_list"))
    assert response.status_code == 200
    numbers = {row["number"] for row in response.json()["results"]}
    expected = {
        "analyst": {new.number, routed.number},
        "supervisor": {new.number, routed.number},
        "coordinator": {routed.number},
        "executor": {routed.number},
        "outsider_executor": set(),
        "nobody": set(),
    }
    if role == "foreign_analyst":
        assert len(numbers) == 1 and numbers.isdisjoint({new.number, routed.number})
    else:
        assert numbers == expected[role]


@pytest.mark.parametrize(
    ("role", "reports", "generate"),
    [
        ("analyst", 200, 202), ("supervisor", 200, 202), ("coordinator", 403, 403),
        ("executor", 403, 403), ("foreign_analyst", 200, 400), ("nobody", 403, 403),
    ],
)  # fmt: skip
def test_reports_by_role(api, request, region, role, reports, generate):
    client = api(request.getfixturevalue(role))
    assert client.get(reverse("api:report_list")).status_code == reports
    response = client.post(
        reverse("api:report_list"), {"region": region.pk, "year": 2026, "month": 10}
    )
    assert response.status_code == generate, response.json()


@pytest.mark.parametrize("role", ROLES)
def test_reference_data_is_scoped_to_the_user_s_regions(
    api, request, region, other_region, agency, category, role
):
    from tests.factories import AgencyFactory

    AgencyFactory(region=other_region, name="Чужое ведомство")
    client = api(request.getfixturevalue(role))
    regions = {row["code"] for row in client.get(reverse("api:region_list")).json()}
    agencies = {row["name"] for row in client.get(reverse("api:agency_list")).json()}
    statuses = client.get(reverse("api:status_list")).json()
    assert {row["code"] for row in statuses} == set(Status.values)
    if role in ("analyst", "supervisor", "coordinator", "executor"):
        assert regions == {region.code} and agency.name in agencies
        assert "Чужое ведомство" not in agencies
    elif role == "outsider_executor":
        assert regions == {region.code}  # the region of their own agency
    elif role == "foreign_analyst":
        assert regions == {other_region.code} and agencies == {"Чужое ведомство"}
    else:
        assert regions == set() and agencies == set()
