"""The administrator's security page: settings summary, ending sessions, revoking any token."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from bankcrm.access.models import ApiToken
from bankcrm.access.services import token_create
from bankcrm.core.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_admin_sees_the_settings_in_force(bank, login):
    html = login(bank.admin).get("/security/").content.decode()
    assert "Session limits" in html and "30 minutes idle, 12 hours in all" in html
    assert "development key" in html  # the test settings use the development key: flagged
    assert "script-src &#x27;self&#x27;" in html


@pytest.mark.django_db
def test_admin_ends_another_users_session(bank, login):
    rm = Client(REMOTE_ADDR="10.1.2.3")
    assert rm.post("/login/", {"username": "rm_a", "password": PASSWORD}).status_code == 302
    assert rm.get("/customers/").status_code == 200
    admin = login(bank.admin)
    html = admin.get("/security/").content.decode()
    assert "rm_a" in html and "10.1.2.3" in html
    assert rm.cookies["sessionid"].value not in html  # the key never leaves the server
    row = re.search(r"rm_a</td>.*?/security/sessions/([0-9a-f]+)/end/", html, re.S)
    assert row is not None
    response = admin.post(f"/security/sessions/{row.group(1)}/end/")
    assert response.status_code == 302
    assert rm.get("/customers/").status_code == 302  # logged out
    ended = AuditEvent.objects.get(purpose="session ended by an administrator")
    assert ended.actor == bank.admin and ended.object_id == str(bank.rm.pk)
    assert admin.post(f"/security/sessions/{row.group(1)}/end/").status_code == 404


@pytest.mark.django_db
def test_admin_revokes_anyones_token_and_it_stops_working(bank, login):
    token, raw = token_create(user=bank.rm, name="etl")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/customers").status_code == 200
    admin = login(bank.admin)
    assert "etl" in admin.get("/security/").content.decode()
    assert admin.post(f"/security/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api.get("/api/v1/customers").status_code == 401
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="api.apitoken", actor=bank.admin
    ).exists()
