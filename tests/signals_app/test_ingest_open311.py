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
