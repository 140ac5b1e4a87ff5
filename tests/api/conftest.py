from __future__ import annotations

import json

import pytest

from agencies.services import api_token_create


class Api:
    """The Django test client speaking JSON with a personal token."""

    def __init__(self, client, user=None):  # type: ignore[no-untyped-def]
        self.client = client
        self.headers = {}
        if user is not None:
            _token, raw = api_token_create(user=user, name="tests", days=30)
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path, **params):  # type: ignore[no-untyped-def]
        return self.client.get(path, params, **self.headers)

    def post(self, path, body=None):  # type: ignore[no-untyped-def]
        return self.client.post(
            path, json.dumps(body or {}), content_type="application/json", **self.headers
        )


@pytest.fixture
def api(client):
    return lambda user=None: Api(client, user)


@pytest.fixture(autouse=True)
def _fresh_rate_budgets():
    """Rate counters live in Redis for a minute: a token id of an earlier run must not inherit
    the requests made with it then."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match="*throttle_api_*"):
        client.delete(key)
