"""A schema-driven fuzz run: Schemathesis generates requests from the OpenAPI schema and sends
them to the running app (a live server) with an analyst's token. No request may get a 5xx, and
every answer must match the schema (status code, content type, body)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as fuzz_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agencies.services import api_token_create
from signals_app.workflow import services
from tests.factories import SignalFactory


def _schema():  # type: ignore[no-untyped-def]
    # pytest-django has configured Django before the test modules are imported.
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, cls=DjangoJSONEncoder)))


schema = _schema()


@pytest.fixture
def fuzz_caller(live_server, analyst, region, agency, category, settings, eager):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "100000/min"}
    }  # fmt: skip
    signals = [SignalFactory(region=region, category=category) for _ in range(3)]
    # The schema's example number names the first: route it so the actions meet a live signal.
    assert signals[0].number == f"{region.code}-{timezone.now().year}-000001"
    services.signal_route(signal=signals[0], agency=agency, actor=analyst)
    _token, raw = api_token_create(user=analyst, name="fuzz", days=1)
    return live_server.url, {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@fuzz_settings(
    max_examples=15, deadline=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
def test_no_request_gets_a_server_error(case, fuzz_caller):
    base_url, headers = fuzz_caller
    if case.operation.path.startswith("/api/v1/ingest/"):
        headers = {}  # the source token is its own scheme; the fuzz sends none
    response = case.call(base_url=base_url, headers=headers)
    case.validate_response(
        response,
        checks=[
            not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance,
        ],
    )  # fmt: skip
