"""Open311 GeoReport v2: services, requests in, status out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signals_app.models import Reply, Signal
from signals_app.workflow import services as workflow
from tests.factories import SourceFactory, UserFactory

pytestmark = pytest.mark.django_db
KEY = "open311-key"


@pytest.fixture
def o311(region, category):
    return SourceFactory(region=region, slug="open311", channel="open311", secret=KEY)


def create(client, **data):
    body = {"api_key": KEY, "jurisdiction_id": "74", "service_code": "zhkh-water",
            "description": "Течёт труба в подвале дома", "lat": "55.16", "long": "61.40"} | data  # fmt: skip
    return client.post(reverse("open311_requests"), body)


def test_services_are_the_regions_subtopics(client, o311, category):
    response = client.get(reverse("open311_services"), {"jurisdiction_id": "74"})
    assert response.status_code == 200
    assert response.json() == [{
        "service_code": "zhkh-water", "service_name": "Водоснабжение", "description": "ЖКХ: Водоснабжение",
        "metadata": False, "type": "realtime", "keywords": "", "group": "ЖКХ",
    }]  # fmt: skip
    assert client.get(reverse("open311_services"), {"jurisdiction_id": "99"}).status_code == 404


def test_a_request_becomes_a_signal_and_reads_back_with_its_status(
    client, o311, category, agency, analyst
):
    response = create(client)
    assert response.status_code == 200
    number = response.json()[0]["service_request_id"]
    signal = Signal.objects.get(number=number)
    assert (signal.channel, signal.category) == ("open311", category)
    detail = client.get(
        reverse("open311_request", args=[number]), {"jurisdiction_id": "74"}
    ).json()[0]
    assert (detail["status"], detail["service_code"], detail["lat"]) == (
        "open",
        "zhkh-water",
        55.16,
    )
    executor = UserFactory(username="worker")
    from agencies.models import Membership

    Membership.objects.create(user=executor, agency=agency, role="executor")
    workflow.signal_route(signal=signal, agency=agency, actor=analyst)
    reply = workflow.reply_submit(signal=signal, text="Трубу заменили.", actor=executor)
    workflow.reply_approve(reply=reply, actor=analyst)
    detail = client.get(
        reverse("open311_request", args=[number]), {"jurisdiction_id": "74"}
    ).json()[0]
    assert (detail["status"], detail["status_notes"], detail["agency_responsible"]) == (
        "closed",
        "Трубу заменили.",
        agency.name,
    )
    assert Reply.objects.filter(signal=signal, state="published").exists()
    listed = client.get(
        reverse("open311_requests"), {"jurisdiction_id": "74", "status": "closed"}
    ).json()
    assert [row["service_request_id"] for row in listed] == [number]
    assert (
        client.get(reverse("open311_requests"), {"jurisdiction_id": "74", "status": "open"}).json()
        == []
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"api_key": "wrong"}, 403),
        ({"service_code": "nope"}, 400),
        ({"description": ""}, 400),
        ({"lat": "", "long": "", "address_string": ""}, 400),
        ({"lat": "abc"}, 400),
        ({"lat": "95"}, 400),
        ({"long": "", "address_string": "ул. Мира, 1"}, 400),
        ({"jurisdiction_id": "99"}, 404),
    ],
)
def test_bad_requests_get_open311_errors(client, o311, data, code):
    response = create(client, **data)
    assert response.status_code == code
    assert response.json()[0]["code"] == code
    assert not Signal.objects.exists()
    from signals_app.models import InboundMessage

    assert not InboundMessage.objects.exists()  # refused at the door, not left failed


def test_only_open311_requests_are_listed_and_filters_are_checked(client, o311, region):
    from tests.factories import SignalFactory

    SignalFactory(region=region, channel="vk")  # personal data of another channel: never listed
    assert client.get(reverse("open311_requests"), {"jurisdiction_id": "74"}).json() == []
    bad = client.get(
        reverse("open311_requests"), {"jurisdiction_id": "74", "start_date": "yesterday"}
    )
    assert bad.status_code == 400
    assert (
        client.get(
            reverse("open311_request", args=["74-2026-000001"]), {"jurisdiction_id": "74"}
        ).status_code
        == 404
    )


# --- conformance (GeoReport v2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start_date": "9999-99-99T99:99:99Z"}, 400),
        ({"start_date": "2026-11-01T10:00:00+99:00"}, 400),
        ({"end_date": "2026-02-30T10:00:00Z"}, 400),
        ({"status": "open,closed"}, 200),
        ({"status": "open, closed"}, 200),
        ({"status": "open,pending"}, 400),
        ({"jurisdiction_id": "7\x004"}, 404),
    ],
)
def test_bad_filters_are_the_specs_errors_never_a_500(client, o311, params, status):
    response = client.get(reverse("open311_requests"), {"jurisdiction_id": "74"} | params)
    assert response.status_code == status
    if status != 200:
        assert response.json() == [
            {"code": status, "description": response.json()[0]["description"]}
        ]


def test_a_nul_in_the_address_is_a_404_in_both_formats(client, o311):
    for suffix, kind in ((".json", "application/json"), (".xml", "text/xml")):
        response = client.get(f"/open311/v2/requests/%00{suffix}", {"jurisdiction_id": "74"})
        assert response.status_code == 404
        assert response["Content-Type"].startswith(kind)
    assert client.get("/open311/v2/services/%00.json", {"jurisdiction_id": "74"}).status_code == 404


def test_service_request_id_overrides_the_other_filters_and_status_takes_a_list(client, o311):
    first = create(client).json()[0]["service_request_id"]
    second = create(client, description="Нет воды во всём доме").json()[0]["service_request_id"]
    listed = client.get(
        reverse("open311_requests"),
        {"jurisdiction_id": "74", "service_request_id": first, "service_code": "other",
         "status": "closed", "start_date": "2030-01-01T00:00:00Z"},
    ).json()  # fmt: skip
    assert [row["service_request_id"] for row in listed] == [first]
    both = client.get(
        reverse("open311_requests"), {"jurisdiction_id": "74", "status": "open,closed"}
    )
    assert {row["service_request_id"] for row in both.json()} == {first, second}


def test_a_posted_media_url_is_returned(client, o311):
    number = create(client, media_url="https://example.ru/photo/1.jpg").json()[0][
        "service_request_id"
    ]
    detail = client.get(reverse("open311_request", args=[number]), {"jurisdiction_id": "74"})
    assert detail.json()[0]["media_url"] == "https://example.ru/photo/1.jpg"
    assert create(client, media_url="javascript:alert(1)").status_code == 400


def test_a_service_definition_or_the_specs_error(client, o311):
    response = client.get(
        reverse("open311_service", args=["zhkh-water"]), {"jurisdiction_id": "74"}
    )
    assert response.json() == {"service_code": "zhkh-water", "attributes": []}
    missing = client.get(reverse("open311_service", args=["nope"]), {"jurisdiction_id": "74"})
    assert (missing.status_code, missing.json()[0]["code"]) == (404, 404)


def parse(content: bytes):  # type: ignore[no-untyped-def]
    from xml.etree import ElementTree

    return ElementTree.fromstring(content)  # noqa: S314 - our own answer, read back


def test_the_xml_format_serves_the_same_data(client, o311):
    created = client.post(
        reverse("open311_requests_xml"),
        {"api_key": KEY, "jurisdiction_id": "74", "service_code": "zhkh-water",
         "description": "Течёт\x07 труба <в подвале> & дома", "lat": "55.16", "long": "61.40"},
    )  # fmt: skip
    assert created["Content-Type"] == "text/xml; charset=utf-8"
    assert created.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = parse(created.content)
    number = root.find("request/service_request_id").text
    assert root.tag == "service_requests" and number

    services = parse(client.get(reverse("open311_services_xml"), {"jurisdiction_id": "74"}).content)
    assert [s.find("service_code").text for s in services.findall("service")] == ["zhkh-water"]
    assert services.find("service/metadata").text == "false"

    detail = parse(
        client.get(reverse("open311_request_xml", args=[number]), {"jurisdiction_id": "74"}).content
    )
    assert detail.find("request/description").text == "Течёт труба <в подвале> & дома"
    json_detail = client.get(reverse("open311_request", args=[number]), {"jurisdiction_id": "74"})
    assert {child.tag for child in detail.find("request")} == set(json_detail.json()[0])

    error = client.get(reverse("open311_request_xml", args=["nope"]), {"jurisdiction_id": "74"})
    tree = parse(error.content)
    assert (error.status_code, tree.tag, tree.find("error/code").text) == (404, "errors", "404")
    definition = parse(
        client.get(
            reverse("open311_service_xml", args=["zhkh-water"]), {"jurisdiction_id": "74"}
        ).content
    )
    assert (definition.tag, definition.find("service_code").text) == (
        "service_definition",
        "zhkh-water",
    )


# --- one path, once -----------------------------------------------------------------------


def test_the_same_request_twice_is_one_signal_with_one_id(client, o311):
    first = create(client)
    again = create(client)
    assert first.status_code == again.status_code == 200
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    keyed = [
        client.post(
            reverse("open311_requests"),
            {"api_key": KEY, "jurisdiction_id": "74", "service_code": "zhkh-water",
             "description": f"Течёт труба, попытка {attempt}", "lat": "55.16", "long": "61.40"},
            HTTP_IDEMPOTENCY_KEY="client-req-1",
        ).json()[0]["service_request_id"]
        for attempt in range(2)
    ]  # fmt: skip
    assert keyed[0] == keyed[1]
    assert Signal.objects.count() == 2
    from signals_app.models import InboundMessage

    assert not InboundMessage.objects.filter(state="pending").exists()  # never left to a worker
