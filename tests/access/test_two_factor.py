"""Two-factor log-in with an authenticator app (TOTP): RFC 6238 vectors and the whole flow."""

from __future__ import annotations

import base64
import time

import pytest
from django.test import Client

from bankcrm.access import totp
from bankcrm.core.models import AuditAction, AuditEvent, TotpDevice
from tests.conftest import PASSWORD

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_match_the_rfc_6238_test_vectors(at, code):
    # RFC 6238 appendix B (SHA-1), last six of the eight digits.
    assert totp.totp(RFC_SECRET, at=at) == code
    assert totp.matching_step(RFC_SECRET, code, at=at) == at // 30
    assert totp.matching_step(RFC_SECRET, code, at=at + 90) is None


@pytest.fixture
def two_factor(settings):
    settings.BANKCRM_2FA_REQUIRED_ROLES = frozenset({"admin", "compliance"})


def _password_login(user) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _code(user, *, offset: int = 0) -> str:
    device = TotpDevice.objects.get(user=user)
    return totp.totp(device.secret, at=time.time() + offset)


@pytest.mark.django_db
def test_admin_enrols_an_authenticator_at_first_log_in_then_gets_in(bank, two_factor):
    client = _password_login(bank.admin)
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/2fa/?next=")
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "totp-secret" in page  # the QR code and the key to type
    assert 'class="mainnav"' not in page  # no menu of pages that would send them back here
    assert client.get("/api/v1/customers").status_code == 401  # the session API too
    response = client.post("/login/2fa/", {"code": _code(bank.admin), "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    after = client.get("/customers/")
    assert after.status_code == 200 and 'class="mainnav"' in after.content.decode()
    device = TotpDevice.objects.get(user=bank.admin)
    assert device.confirmed_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="core.totpdevice", actor=bank.admin
    ).exists()


@pytest.mark.django_db
def test_a_code_is_accepted_once_and_asked_again_at_every_log_in(bank, two_factor):
    client = _password_login(bank.compliance)
    client.get("/login/2fa/")  # the set-up page creates the authenticator's secret
    code = _code(bank.compliance)
    assert client.post("/login/2fa/", {"code": code}).status_code == 302
    again = _password_login(bank.compliance)
    assert again.get("/audit/").status_code == 302  # a new log-in asks again
    page = again.get("/login/2fa/").content.decode()
    assert "<svg" not in page  # enrolled: no QR code shown again
    response = again.post("/login/2fa/", {"code": code})
    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert again.post("/login/2fa/", {"code": _code(bank.compliance, offset=30)}).status_code == 302
    assert again.get("/audit/").status_code == 200


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lock_out(bank, two_factor, settings):
    client = _password_login(bank.admin)
    client.get("/login/2fa/")
    for _ in range(settings.BANKCRM_LOGIN_MAX_FAILURES - 1):
        assert client.post("/login/2fa/", {"code": "000000"}).status_code == 400
    response = client.post("/login/2fa/", {"code": "000000"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/customers/").status_code == 302  # logged out
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).count() == 1
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, changes__factor="totp")
    assert failed.count() == settings.BANKCRM_LOGIN_MAX_FAILURES


@pytest.mark.django_db
def test_other_roles_may_choose_two_factor_and_then_must_use_it(bank, two_factor):
    client = _password_login(bank.rm)
    assert client.get("/customers/").status_code == 200  # optional for an RM
    client.get("/login/2fa/")
    assert client.post("/login/2fa/", {"code": _code(bank.rm)}).status_code == 302
    later = _password_login(bank.rm)
    assert later.get("/customers/").status_code == 302  # now required for this RM


@pytest.mark.django_db
def test_bearer_tokens_are_not_asked_for_a_second_factor(bank, two_factor):
    from bankcrm.access.services import token_create

    _token, raw = token_create(user=bank.admin, name="etl")
    response = Client().get("/api/v1/customers", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_next_never_leads_off_site(bank, two_factor):
    client = _password_login(bank.admin)
    client.get("/login/2fa/")
    response = client.post(
        "/login/2fa/", {"code": _code(bank.admin), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_a_correct_password_does_not_clear_wrong_codes_so_codes_cannot_be_tried_without_end(
    bank, two_factor, settings
):
    """Issue 15, finding 2: "password, 4 wrong codes, password again" used to never lock."""
    client = _password_login(bank.admin)
    client.get("/login/2fa/")
    tries = 0
    for _round in range(3):
        client = Client()
        response = client.post("/login/", {"username": "root", "password": PASSWORD})
        if response.status_code != 302:
            break
        for _ in range(settings.BANKCRM_LOGIN_MAX_FAILURES - 1):
            tries += 1
            if client.post("/login/2fa/", {"code": "000000"}).status_code != 400:
                break
    assert tries == settings.BANKCRM_LOGIN_MAX_FAILURES  # the 5th wrong code locks
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).count() == 1
    refused = Client().post("/login/", {"username": "root", "password": PASSWORD})
    assert refused.status_code == 200 and "locked until" in refused.content.decode()


@pytest.mark.django_db
def test_only_a_correct_code_clears_the_wrong_codes(bank, two_factor, settings):
    from bankcrm.core.models import LoginFailure

    client = _password_login(bank.admin)
    client.get("/login/2fa/")
    for _ in range(3):
        client.post("/login/2fa/", {"code": "000000"})
    _password_login(bank.admin)
    assert LoginFailure.objects.filter(username="2fa:root").count() == 3
    assert client.post("/login/2fa/", {"code": _code(bank.admin)}).status_code == 302
    assert not LoginFailure.objects.filter(username="2fa:root").exists()
