"""The REST API: tokens, the error shape, the queue's filters with cursor pages, the signal's
detail, query counts, the OpenAPI schema and its documentation page."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import ApiToken
from agencies.services import api_token_check, api_token_create, api_token_revoke
from signals_app.choices import Status
from signals_app.models import Signal, SignalEvent
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

# --- tokens ----------------------------------------------------------------------------------


def test_a_token_is_stored_hashed_and_shown_once(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("api_tokens"), {"name": "BI", "days": "30"})
    assert response.status_code == 302
    page = client.get(reverse("api_tokens")).content.decode()
    token = ApiToken.objects.get(user=analyst)
    raw = page.split('<code class="token-value">')[1].split("</code>")[0]
    assert raw.startswith(f"cur_{token.prefix}_") and len(raw) > 40
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    # Shown once: the next visit lists the token without its value.
    again = client.get(reverse("api_tokens")).content.decode()
    assert raw not in again and f"cur_{token.prefix}_…" in again
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_a_token_opens_the_api_until_it_expires_or_is_revoked(client, analyst, new_signal):
    token, raw = api_token_create(user=analyst, name="BI", days=1)
    url = reverse("api:signal_detail", args=[new_signal.number])

    def call():  # type: ignore[no-untyped-def]
        return client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert call().status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        expired = call()
    assert expired.status_code == 401 and expired.json()["code"] == "authentication_failed"
    assert expired["WWW-Authenticate"] == 'Bearer realm="api"'
    api_token_revoke(token=token, actor=analyst)
    assert call().status_code == 401
    assert api_token_check(raw) is None
    assert api_token_check(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert api_token_check("cur_nothing") is None


def test_tokens_are_revoked_by_their_owner_only(client, analyst, supervisor):
    token, _raw = api_token_create(user=analyst, name="BI", days=5)
    client.force_login(supervisor)
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(analyst)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(("name", "days"), [("", "30"), ("BI", "0"), ("BI", "400"), ("BI", "x")])
def test_a_bad_token_form_is_refused(client, analyst, name, days):
    client.force_login(analyst)
    response = client.post(reverse("api_tokens"), {"name": name, "days": days})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_an_inactive_user_s_token_stops_working(client, analyst, new_signal):
    _token, raw = api_token_create(user=analyst, name="BI", days=5)
    analyst.is_active = False
    analyst.save(update_fields=["is_active"])
    response = client.get(reverse("api:signal_list"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


# --- the error shape -------------------------------------------------------------------------


def test_every_refusal_has_the_same_json_shape(api, client, analyst, new_signal, agency):
    anonymous = client.get(reverse("api:signal_list"))
    assert anonymous.status_code == 401
    assert set(anonymous.json()) == {"code", "message", "errors"}
    caller = api(analyst)
    route = reverse("api:signal_route", args=[new_signal.number])
    invalid = caller.post(route, {"agency": "x"})
    assert invalid.status_code == 400 and invalid.json()["code"] == "invalid"
    assert "agency" in invalid.json()["errors"]
    stale = caller.post(route, {"agency": agency.pk, "version": new_signal.version + 5})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    wrong = caller.post(
        reverse("api:signal_transition", args=[new_signal.number]), {"to_status": "closed"}
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "invalid_transition"
    assert SignalEvent.objects.filter(signal=new_signal).count() == 1  # created only
    unknown = caller.get("/api/v1/nothing-here/")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    method = caller.get(route)
    assert method.status_code == 405 and method.json()["code"] == "method_not_allowed"
    malformed = client.post(route, "{not json", content_type="application/json", **caller.headers)
    assert malformed.status_code == 400 and malformed.json()["code"] == "parse_error"
    bad_filter = caller.get(reverse("api:signal_list"), status="nonsense")
    assert bad_filter.status_code == 400 and "status" in bad_filter.json()["errors"]


def test_a_token_is_throttled_on_its_own(api, analyst, supervisor, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min"},
    }
    busy, other = api(analyst), api(supervisor)
    codes = [busy.get(reverse("api:status_list")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = busy.get(reverse("api:status_list"))
    assert refused.json()["code"] == "throttled" and refused.json()["retry_after"] > 0
    assert other.get(reverse("api:status_list")).status_code == 200


# --- signals ---------------------------------------------------------------------------------


def test_cursor_pages_are_stable_while_signals_arrive(api, analyst, region):
    made = [SignalFactory(region=region) for _ in range(7)]
    caller = api(analyst)
    first = caller.get(reverse("api:signal_list"), page_size=3).json()
    SignalFactory(region=region)  # arrives between the pages: it does not shift them
    second = caller.get(first["next"]).json()
    third = caller.get(second["next"]).json()
    seen = [row["number"] for page in (first, second, third) for row in page["results"]]
    assert seen == [signal.number for signal in reversed(made)]
    assert third["next"] is None


def test_the_list_takes_the_queue_s_filters(api, analyst, region, agency, executor, category):
    routed = drive(
        SignalFactory(region=region, text="Прорвало трубу на улице Ленина", category=category),
        Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency,
    )  # fmt: skip
    SignalFactory(region=region, text="Яма на дороге")
    caller = api(analyst)

    def numbers(**params):  # type: ignore[no-untyped-def]
        response = caller.get(reverse("api:signal_list"), **params)
        assert response.status_code == 200, response.json()
        return [row["number"] for row in response.json()["results"]]

    assert numbers(status="in_progress") == [routed.number]
    assert numbers(q="труба") == [routed.number]
    assert numbers(category=category.parent_id) == [routed.number]
    assert numbers(agency=agency.pk, assignee="nobody") == [routed.number]
    assert len(numbers()) == 2


def test_the_detail_has_deadlines_with_their_explanation_and_the_timeline(
    api, analyst, supervisor, region, agency, executor
):
    from agencies.services import calendar_default_for_region, calendar_sync
    from signals_app.sla.defaults import sla_defaults_install

    calendar_sync(calendar=calendar_default_for_region(region=region), year=2026)
    sla_defaults_install(region=region)
    signal = SignalFactory(region=region, author_name="Иванов Пётр", author_contact="+7 900 1")
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    response = api(analyst).get(reverse("api:signal_detail", args=[signal.number]))
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["status"] == "in_progress" and body["agency"]["id"] == agency.pk
    assert body["author"] == {
        "name": "Иванов Пётр", "profile_url": "", "contact": "+7 900 1", "masked": False,
    }  # fmt: skip
    assert [event["kind"] for event in body["timeline"]][:2] == ["created", "sla_assigned"]
    assert "routed" in [event["kind"] for event in body["timeline"]]
    assert body["escalation_level"] == 0 and body["escalations"] == []
    kinds = {deadline["kind"]: deadline for deadline in body["deadlines"]}
    assert {"reaction", "answer"} <= set(kinds)
    answer = kinds["answer"]
    assert answer["duration_seconds"] > 0 and answer["state"] == "ok"
    assert answer["due"] and answer["base_due"] and answer["working_seconds_left"] > 0
    assert body["sla_explanation"]["policy"]["name"]
    assert len(body["sla_explanation"]["deadlines"]) == len(body["deadlines"])
    masked = api(supervisor).get(reverse("api:signal_detail", args=[signal.number])).json()
    assert masked["author"] == {
        "name": "И*** П***",
        "profile_url": "",
        "contact": "",
        "masked": True,
    }


def test_actions_go_through_the_workflow(api, analyst, executor, region, agency):
    signal = SignalFactory(region=region)
    route = api(analyst).post(
        reverse("api:signal_route", args=[signal.number]),
        {"agency": agency.pk, "version": signal.version},
    )
    assert route.status_code == 200 and route.json()["status"] == "in_progress"
    draft = api(executor).post(
        reverse("api:signal_replies", args=[signal.number]),
        {"text": "Черновик", "submit": False},
    )
    assert draft.status_code == 201 and draft.json()["state"] == "draft"
    assert Signal.objects.get(pk=signal.pk).status == Status.IN_PROGRESS
    # The draft is private: the analyst does not see it.
    listed = api(analyst).get(reverse("api:signal_replies", args=[signal.number])).json()
    assert listed == []
    submitted = api(executor).post(
        reverse("api:signal_replies", args=[signal.number]), {"text": "Трубу заменили."}
    )
    assert submitted.status_code == 201 and submitted.json()["state"] == "submitted"
    review = api(analyst).post(
        reverse("api:reply_review", args=[signal.number, submitted.json()["id"]]),
        {"decision": "approve"},
    )
    assert review.status_code == 200 and review.json()["state"] == "published"
    assert Signal.objects.get(pk=signal.pk).status == Status.ANSWERED
    note = api(executor).post(
        reverse("api:signal_notes", args=[signal.number]), {"text": "Проверено @analyst"}
    )
    assert note.status_code == 201
    assert analyst.notifications.filter(kind="mention").count() == 1


def test_another_agency_s_signal_is_not_found(
    api, outsider_executor, region, agency, analyst, executor
):
    signal = drive(
        SignalFactory(region=region), Status.IN_PROGRESS,
        analyst=analyst, executor=executor, agency=agency,
    )  # fmt: skip
    response = api(outsider_executor).get(reverse("api:signal_detail", args=[signal.number]))
    assert response.status_code == 404


def _list_queries(caller, count, region):  # type: ignore[no-untyped-def]
    for _ in range(count):
        SignalFactory(region=region)
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(reverse("api:signal_list"))
    assert response.status_code == 200
    return len(captured)


def test_the_list_query_count_does_not_grow_with_rows(api, analyst, region):
    caller = api(analyst)
    caller.get(reverse("api:status_list"))  # the token's first use writes its "last used"
    one = _list_queries(caller, 1, region)
    thirty = _list_queries(caller, 29, region)
    assert one == thirty <= 8


def test_the_detail_query_count_is_bounded(api, analyst, executor, region, agency):
    caller = api(analyst)
    caller.get(reverse("api:status_list"))
    counts = []
    for notes in (0, 10):
        signal = drive(
            SignalFactory(region=region), Status.IN_PROGRESS,
            analyst=analyst, executor=executor, agency=agency,
        )  # fmt: skip
        for index in range(notes):
            from signals_app.workflow import services

            services.note_add(signal=signal, text=f"Заметка {index}", actor=analyst)
        with CaptureQueriesContext(connection) as captured:
            assert caller.get(reverse("api:signal_detail", args=[signal.number])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_reference_lists_have_a_fixed_query_count(api, analyst, region):
    from tests.factories import AgencyFactory

    caller = api(analyst)
    caller.get(reverse("api:status_list"))
    counts = []
    for more in (1, 29):
        for index in range(more):
            AgencyFactory(region=region, name=f"Ведомство {more}-{index}")
        with CaptureQueriesContext(connection) as captured:
            assert len(caller.get(reverse("api:agency_list")).json()) >= more
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- reports ---------------------------------------------------------------------------------


def test_a_report_is_generated_listed_and_downloaded(
    api, supervisor, region, eager, django_capture_on_commit_callbacks
):
    SignalFactory(region=region, received_at=timezone.now() - timedelta(days=40))
    caller = api(supervisor)
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        created = caller.post(
            reverse("api:report_list"),
            {"region": region.pk, "year": last_month.year, "month": last_month.month},
        )
    assert created.status_code == 202
    report = caller.get(created.json()["url"]).json()
    assert report["state"] == "done" and report["progress"] == 100
    assert "received" in report["figures"]
    listed = caller.get(reverse("api:report_list")).json()["results"]
    assert [row["id"] for row in listed] == [report["id"]]
    xlsx = caller.get(report["files"]["xlsx"])
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content).startswith(b"PK")
    assert caller.get(reverse("api:report_file", args=[report["id"], "exe"])).status_code == 404


# --- schema and documentation ---------------------------------------------------------------


def test_the_schema_validates_and_describes_every_endpoint(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(target))  # fmt: skip
    schema = json.loads(target.read_text())
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 18
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        ok = [code for code in operation["responses"] if code.startswith("2")]
        assert ok and all(operation["responses"][code].get("content") for code in ok), (
            path,
            method,
        )
        refusals = [code for code in operation["responses"] if code.startswith("4")]
        assert refusals, (path, method)
        if method == "post":
            assert operation["requestBody"]["content"], (path, method)


def test_the_documentation_page_uses_local_files_only(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("api_docs"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in body
    assert "cdn" not in body.lower() and "https://" not in body


def test_report_replies_and_notes_lists_have_a_fixed_query_count(
    api, analyst, executor, region, agency
):
    from reports.services import report_request
    from signals_app.workflow import services

    caller, writer = api(analyst), api(executor)
    caller.get(reverse("api:status_list"))
    writer.get(reverse("api:status_list"))
    signal = drive(
        SignalFactory(region=region), Status.IN_PROGRESS,
        analyst=analyst, executor=executor, agency=agency,
    )  # fmt: skip
    counts: dict[str, list[int]] = {"reports": [], "notes": [], "replies": []}
    for more in (1, 12):
        for index in range(more):
            report_request(region=region, year=2025, month=1 + index % 12, actor=analyst)
            services.note_add(signal=signal, text=f"Заметка {more}-{index}", actor=analyst)
            services.reply_draft_save(signal=signal, text=f"Черновик {index}", actor=executor)
        for name, url, who in (
            ("reports", reverse("api:report_list"), caller),
            ("notes", reverse("api:signal_notes", args=[signal.number]), caller),
            ("replies", reverse("api:signal_replies", args=[signal.number]), writer),
        ):
            with CaptureQueriesContext(connection) as captured:
                assert who.get(url).status_code == 200
            counts[name].append(len(captured))
    assert all(first == second for first, second in counts.values()), counts


def test_the_token_page_has_a_fixed_query_count(client, analyst):
    client.force_login(analyst)
    counts = []
    for more in (1, 20):
        for index in range(more):
            api_token_create(user=analyst, name=f"Интеграция {index}", days=30)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("api_tokens")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_refusals_speak_the_user_s_language(api, analyst, foreign_analyst, region):
    caller = api(analyst)
    bad_region = caller.get(reverse("api:agency_list"), region="x").json()
    assert bad_region["errors"]["region"] == ["Идентификатор региона — число."]
    foreign = api(foreign_analyst).post(
        reverse("api:report_list"), {"region": region.pk, "year": 2026, "month": 10}
    )
    assert foreign.json()["errors"]["region"] == ["Среди ваших регионов такого нет."]
    unknown = caller.get("/api/v1/nothing/")
    assert "В API нет такого адреса." in unknown.content.decode()  # readable, not \\u-escaped
