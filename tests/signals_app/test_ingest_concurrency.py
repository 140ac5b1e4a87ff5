"""Creators from the request path (Open311, the widget) and the worker path (a drain of the
inbox) at once: every request answers with its number, no deadlock on the number counter, the
numbers are unique and gap-free, nothing is processed twice."""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from signals_app.ingest.process import inbound_drain
from signals_app.ingest.services import inbound_store_many
from signals_app.models import InboundMessage, Signal
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "open311-concurrent"


def widget_post(base: str, agency_id: int, number: int) -> tuple[int, str]:
    """A citizen's browser: the form (its CSRF cookie and token, its submission id), then the
    post; the number read from the thank-you page."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{base}/widget/{agency_id}/"
    form = opener.open(url, timeout=60).read().decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|submission)" value="([^"]+)"', form))
    body = urllib.parse.urlencode(
        fields
        | {
            "consent": "on",
            "text": f"Яма у подъезда дома {number}, глубокая",
            "address": "ул. Мира, 3",
        }
    ).encode()
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    with opener.open(request, timeout=60) as response:
        page = response.read().decode()
    found = re.search(r"\d{2}-\d{4}-\d{6}", page)
    return response.status, found[0] if found else ""


def test_open311_requests_and_a_draining_worker_together(
    live_server, region, category, agency, monkeypatch
):
    from signals_app.channels.widget import intake

    monkeypatch.setattr(intake, "RATE_LIMIT", 10_000)  # every citizen here has one address
    SourceFactory(region=region, slug="o311", channel="open311", secret=KEY)
    SourceFactory(region=region, slug="widget", channel="widget", secret="")
    batch_source = SourceFactory(region=region, slug="pos", channel="pos", secret="pos-token")
    items = [
        (f"pos-{number}", {"text": f"Нет воды в доме {number}", "posted_at": "2026-11-24T10:00:00+05:00"})
        for number in range(400)
    ]  # fmt: skip
    with transaction.atomic():
        inbound_store_many(source=batch_source, items=items)

    def post(number: int) -> tuple[int, str]:
        body = urllib.parse.urlencode({
            "api_key": KEY, "jurisdiction_id": "74", "service_code": "zhkh-water",
            "description": f"Течёт труба в подвале дома {number}", "lat": "55.16", "long": "61.40",
        }).encode()  # fmt: skip
        request = urllib.request.Request(f"{live_server.url}/open311/v2/requests.json", data=body)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())[0]["service_request_id"]
        finally:
            connection.close()

    posting = threading.Event()
    posting.set()

    def drain() -> None:
        # A worker woken again and again, as single-event webhooks keep it: it takes whatever
        # is pending, the requests' messages included if they were ever offered to it.
        try:
            while posting.is_set():
                inbound_drain()
        finally:
            connection.close()

    workers = [threading.Thread(target=drain) for _ in range(2)]
    for worker in workers:
        worker.start()

    def widget(number: int) -> tuple[int, str]:
        try:
            return widget_post(live_server.url, agency.pk, number)
        finally:
            connection.close()

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(post, range(40)))
            widgets = list(pool.map(widget, range(20)))
    finally:
        posting.clear()
        for worker in workers:
            worker.join(timeout=120)

    assert [status for status, _ in answers] == [200] * 40
    numbers = [number for _, number in answers]
    assert len(set(numbers)) == 40
    assert Signal.objects.filter(number__in=numbers, channel="open311").count() == 40
    # Every citizen of the widget sees their number on the thank-you page.
    assert [status for status, _ in widgets] == [200] * 20
    shown = [number for _, number in widgets]
    assert all(shown) and Signal.objects.filter(number__in=shown, channel="widget").count() == 20
    assert Signal.objects.count() == 460
    tails = sorted(
        int(number.rsplit("-", 1)[1]) for number in Signal.objects.values_list("number", flat=True)
    )
    assert tails == list(range(1, 461))  # unique and gap-free
    assert not InboundMessage.objects.exclude(state="processed").exists()
