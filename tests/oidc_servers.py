"""A real OpenID Connect provider for the vote's tests: django-oauth-toolkit in its own process
(gunicorn) with its own PostgreSQL database, an RSA key made for the run, a client application
and residents with their claims. The product reaches it over HTTP — discovery, the token
endpoint, the published keys — as it would reach Gosuslugi's gateway.

`signed_in(provider, resident)` is the resident's browser at the provider: a session logged in
there, which follows the authorisation address back to the product's callback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "cur-votes", "cur-votes-secret"
REDIRECT = "http://testserver/vote/verify/oidc/"
RESIDENTS = {  # username: (birthdate, OKTMO)
    "adult": ("1990-05-20", ""),
    "teen": ("2015-01-10", ""),
    "elsewhere": ("1985-02-02", "99999999"),
}


@dataclass
class Provider:
    url: str
    issuer: str

    @property
    def discovery(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def _admin_dsn(name: str = "postgres") -> str:
    database = django_settings.DATABASES["default"]
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    user, password = database.get("USER") or "postgres", database.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{auth}{host}:{port}/{name}"


def _key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


@pytest.fixture(scope="session")
def oidc_provider(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    name = f"oidc_provider_{os.getpid()}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
           "OIDC_PROVIDER_DATABASE_URL": _admin_dsn(name), "OIDC_PROVIDER_KEY": _key(),
           "OIDC_PROVIDER_ISSUER": f"{url}/o", "PYTHONPATH": str(ROOT)}  # fmt: skip
    env.pop("TEST_NOW", None)
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    residents = [f"{user}:pass-{user}:{born}:{oktmo}" for user, (born, oktmo) in RESIDENTS.items()]
    subprocess.run([*django, "seed", CLIENT_ID, CLIENT_SECRET, REDIRECT, *residents], env=env,
                   cwd=ROOT, check=True)  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tests.oidc_provider.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    provider = Provider(url=url, issuer=f"{url}/o")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(provider.discovery, timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the OpenID Connect provider did not start")
            time.sleep(0.2)
        yield provider
    finally:
        server.terminate()
        server.wait(10)
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def oidc(oidc_provider, settings):  # type: ignore[no-untyped-def]
    """The product pointed at the provider."""
    settings.VOTE_OIDC_DISCOVERY_URL = oidc_provider.discovery
    settings.VOTE_OIDC_CLIENT_ID = CLIENT_ID
    settings.VOTE_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.VOTE_OIDC_SCOPES = "openid profile"
    return oidc_provider


def signed_in(provider: Provider, username: str) -> requests.Session:
    """A browser logged in at the provider as this resident (the provider's clock set to the
    test's)."""
    requests.post(f"{provider.url}/clock/", data={"at": datetime.now(UTC).isoformat()},
                  timeout=10).raise_for_status()  # fmt: skip
    browser = requests.Session()
    page = browser.get(f"{provider.url}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = browser.post(
        f"{provider.url}/login/", timeout=10, allow_redirects=False,
        data={"username": username, "password": f"pass-{username}",
              "csrfmiddlewaretoken": token[1], "next": "/o/"},
    )  # fmt: skip
    assert answer.status_code == 302, answer.text[:300]
    return browser


def authorise(browser: requests.Session, address: str) -> str:
    """Follow the product's redirect to the provider; the callback address it sends back."""
    answer = browser.get(address, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    back = answer.headers["Location"]
    assert back.startswith(REDIRECT), back
    return back.removeprefix("http://testserver")
