"""Log-in lock-out, session limits, security headers, password policy and check --deploy."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from bankcrm.core.crypto import new_key
from bankcrm.core.models import AuditAction, AuditEvent, LoginFailure
from bankcrm.core.security import SESSION_SEEN, SESSION_STARTED
from tests.conftest import PASSWORD


def _login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account_even_for_the_right_password(bank, settings):
    client = Client()
    for _ in range(settings.BANKCRM_LOGIN_MAX_FAILURES):
        assert _login(client, "rm_a", "wrong-password").status_code == 200
    locked = AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT)
    assert locked.count() == 1
    assert locked.get().changes["username"] == "rm_a"
    response = _login(client, "rm_a", PASSWORD)
    assert response.status_code == 200
    assert "locked until" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from elsewhere is not affected.
    assert _login(Client(REMOTE_ADDR="10.0.0.9"), "rm_b", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_lock_time_and_success_clears_the_count(bank, settings):
    client = Client()
    for _ in range(settings.BANKCRM_LOGIN_MAX_FAILURES):
        _login(client, "rm_a", "wrong-password")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=settings.BANKCRM_LOGIN_LOCK_MINUTES + 1)
    LoginFailure.objects.update(at=past)
    assert _login(client, "rm_a", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="rm_a").exists()


@pytest.mark.django_db
def test_a_name_that_is_no_ones_is_throttled_but_not_kept(bank, settings):
    typed = "Tiger-lily-2026!"  # a password typed into the user-name box
    client = Client()
    for _ in range(settings.BANKCRM_LOGIN_MAX_FAILURES):
        _login(client, typed, "whatever")
    kept = [str(e.changes) + e.object_id for e in AuditEvent.objects.all()]
    kept += list(LoginFailure.objects.values_list("username", flat=True))
    assert kept and not [k for k in kept if typed.lower() in k.lower()]
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == settings.BANKCRM_LOGIN_MAX_FAILURES
    assert all(e.changes == {"username": "", "known_user": False} for e in failed)
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).count() == 1
    # A real user's failures still name them, in the trail and the count.
    _login(Client(REMOTE_ADDR="10.0.0.8"), "RM_A", "wrong-password")
    last = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).latest("id")
    assert last.changes == {"username": "rm_a", "known_user": True}
    assert LoginFailure.objects.filter(username="rm_a").count() == 1


@pytest.mark.django_db
def test_one_address_trying_many_user_names_is_throttled(bank, settings):
    settings.BANKCRM_LOGIN_MAX_FAILURES_PER_IP = 4
    client = Client(REMOTE_ADDR="203.0.113.7")
    for name in ("a1", "a2", "a3", "a4"):
        _login(client, name, "x")
    response = _login(client, "rm_a", PASSWORD)
    assert "locked until" in response.content.decode()


def _logged_in(user) -> Client:
    client = Client()
    assert _login(client, user.username, PASSWORD).status_code == 302
    return client


def _age_session(client: Client, **ago: float) -> None:
    session = client.session
    now = time.time()
    for key, seconds in ago.items():
        session[{"seen": SESSION_SEEN, "started": SESSION_STARTED}[key]] = now - seconds
    session.save()


@pytest.mark.django_db
def test_a_session_idle_for_more_than_30_minutes_ends(bank):
    client = _logged_in(bank.rm)
    assert client.get("/customers/").status_code == 200
    _age_session(client, seen=31 * 60)
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert client.get("/customers/").status_code == 302  # logged out for good
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=bank.rm).exists()


@pytest.mark.django_db
def test_an_active_session_still_ends_12_hours_after_log_in(bank):
    client = _logged_in(bank.rm)
    _age_session(client, started=12 * 3600 + 5, seen=10)
    response = client.get("/customers/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/"


@pytest.mark.django_db
def test_activity_keeps_a_session_alive(bank):
    client = _logged_in(bank.rm)
    _age_session(client, seen=29 * 60)
    assert client.get("/customers/").status_code == 200
    assert time.time() - client.session[SESSION_SEEN] < 5


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_no_store(bank, login):
    response = login(bank.rm).get("/customers/")
    csp = response["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert "<script>" not in response.content.decode()  # no inline script to allow


def test_password_policy_needs_length_and_three_kinds_of_character():
    for weak in ("short1!", "alllowercaseletters", "lowercase-only-sign", "12345678901234"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Tiger-lily-2026")


def test_check_deploy_passes_with_the_production_settings(tmp_path: Path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BANKCRM_SECRET_KEY": secrets.token_urlsafe(50),
        "BANKCRM_TLS": "1",
        "BANKCRM_ALLOWED_HOSTS": "crm.bank.example",
        "DEBUG": "0",
        "BANKCRM_VAR_DIR": str(tmp_path),
        "BANKCRM_PII_KEYS": f"k1:{new_key()}",
        "BANKCRM_PII_INDEX_KEY": secrets.token_urlsafe(32),
        "BANKCRM_AUDIT_KEY": secrets.token_urlsafe(32),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in production
    command = [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # Keys left to be derived from SECRET_KEY are flagged, each by name.
    for name, check in (
        ("BANKCRM_PII_KEYS", "bankcrm.W001"),
        ("BANKCRM_PII_INDEX_KEY", "bankcrm.W002"),
        ("BANKCRM_AUDIT_KEY", "bankcrm.W003"),
    ):
        done = subprocess.run(
            command, env={**env, name: ""}, capture_output=True, text=True, timeout=120
        )
        assert done.returncode != 0 and check in done.stderr + done.stdout, name
    # And the development defaults are flagged.
    env.pop("BANKCRM_TLS")
    env["BANKCRM_SECRET_KEY"] = ""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
