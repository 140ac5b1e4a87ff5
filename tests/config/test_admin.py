"""The admin pages open for an administrator, with the demo data in place."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_changelist_and_add_page_opens(client, model, new_signal):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    opts = model._meta
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "вода"}
    )
    assert response.status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)
