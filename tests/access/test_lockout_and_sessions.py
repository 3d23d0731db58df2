"""Log-in lock-out and session limits."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client

from bankcrm.access.sessions import SESSION_SEEN, SESSION_STARTED
from bankcrm.core.models import AuditAction, AuditEvent, LoginFailure
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
