"""Who may do what on the signal page: each role against each action, posted directly.

The page offers an action only to those who may take it, and the server refuses it to
everyone else whatever they post: a 404 for a signal the user may not see, a 403 for an
action the user's role does not allow, and nothing written either way.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from signals_app.choices import Status
from signals_app.models import Reply, SignalEvent
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

ROLES = ["analyst", "supervisor", "coordinator", "executor", "outsider_executor", "foreign_analyst"]

# (status the signal is in, action, data, roles that may do it)
MATRIX = [
    (Status.NEW, "route", {"agency": "AGENCY"}, {"analyst"}),
    (Status.NEW, "reject", {"reason": "Спам"}, {"analyst"}),
    (Status.NEW, "category", {"category": "CATEGORY"}, {"analyst"}),
    (Status.IN_PROGRESS, "take", {}, {"coordinator", "executor"}),
    (Status.IN_PROGRESS, "assign", {"assignee": "EXECUTOR"}, {"analyst", "coordinator"}),
    (Status.IN_PROGRESS, "priority", {"priority": "high"}, {"analyst", "coordinator"}),
    (Status.IN_PROGRESS, "request_info", {"reason": "Какой дом?"}, {"coordinator", "executor"}),
    (Status.IN_PROGRESS, "reply", {"text": "Ответ", "kind": "final", "submit": "1"},
     {"coordinator", "executor"}),
    (Status.IN_PROGRESS, "note", {"text": "Заметка"}, {"analyst", "coordinator", "executor"}),
    (Status.REPLY_REVIEW, "approve", {"reply": "REPLY"}, {"analyst"}),
    (Status.REPLY_REVIEW, "return", {"reply": "REPLY", "comment": "Доработать"}, {"analyst"}),
    (Status.ANSWERED, "close", {}, {"analyst"}),
    (Status.ANSWERED, "reopen", {"reason": "Не решено"}, {"analyst"}),
    (Status.REJECTED, "restore", {}, {"analyst"}),
]  # fmt: skip
VISIBLE = {
    # Who sees a signal of the region routed to `agency` (new ones: the centre only).
    Status.NEW: {"analyst", "supervisor"},
    "routed": {"analyst", "supervisor", "coordinator", "executor"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("status", "action", "data", "allowed"), MATRIX)
def test_role_against_action(
    client, request, region, agency, category, analyst, executor, coordinator,
    role, status, action, data, allowed,
):  # fmt: skip
    signal = SignalFactory(region=region)
    drive(signal, status, analyst=analyst, executor=executor, agency=agency)
    user = request.getfixturevalue(role)
    values = {
        "AGENCY": agency.pk, "CATEGORY": category.pk, "EXECUTOR": executor.pk,
        "REPLY": Reply.objects.filter(signal=signal).values_list("pk", flat=True).last(),
    }  # fmt: skip
    payload = {key: values.get(value, value) for key, value in data.items()}
    payload["version"] = signal.version
    events_before = SignalEvent.objects.filter(signal=signal).count()
    visible = role in (
        VISIBLE[Status.NEW] if status in (Status.NEW, Status.REJECTED) else VISIBLE["routed"]
    )
    client.force_login(user)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number]))
    action_url = reverse("signals_app:signal_action", args=[signal.number, action])
    response = client.post(action_url, payload)
    events_after = SignalEvent.objects.filter(signal=signal).count()
    if not visible:
        assert page.status_code == 404 and response.status_code == 404
        assert events_after == events_before
    elif role in allowed:
        assert action_url in page.content.decode()
        assert response.status_code == 302, response.content.decode()[:500]
        assert events_after > events_before
    else:
        assert page.status_code == 200
        assert action_url not in page.content.decode()
        assert response.status_code in (400, 403)
        assert events_after == events_before
