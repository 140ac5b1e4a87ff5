"""Settings from the environment and the production-mode refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"


def _run(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ENV", "ALLOWED_HOSTS"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_defaults_are_russian_utc_storage_and_postgres():
    assert settings.LANGUAGE_CODE == "ru"
    assert [code for code, _ in settings.LANGUAGES] == ["ru", "en"]
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE != "UTC"  # tests run in a non-UTC zone so naive-time bugs show
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_the_cache_is_the_real_redis():
    cache.set("settings-test", "значение", 10)
    assert cache.get("settings-test") == "значение"
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def test_production_refuses_the_development_secret_key():
    result = _run({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "cur.example.org"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = _run(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": GOOD_KEY,
            "DEBUG": "1",
            "ALLOWED_HOSTS": "cur.example.org",
        },
        "check",
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_refuses_empty_allowed_hosts():
    result = _run({"DJANGO_ENV": "production", "SECRET_KEY": GOOD_KEY}, "check")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = _run(
        {"DJANGO_ENV": "production", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "cur.example.org"},
        "check", "--deploy", "--fail-level", "WARNING",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_only_postgresql_is_accepted():
    result = _run({"DATABASE_URL": "sqlite:///tmp.db"}, "check")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_demo_users_cannot_log_in_in_production_mode(db, settings, client):
    from agencies.models import User

    User.objects.create_user(username="demo", password="demo-pass-123", is_demo=True)
    credentials = {"username": "demo", "password": "demo-pass-123"}
    settings.DEMO_USERS_ALLOWED = False
    refused = client.post("/login/", credentials)
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    settings.DEMO_USERS_ALLOWED = True
    accepted = client.post("/login/", credentials)
    assert accepted.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="demo").pk)


def test_healthz_reports_database_and_redis(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["redis"] == "ok"
