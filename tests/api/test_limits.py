"""Idempotency-Key replays on POST, and per-token rate limits."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from bankcrm.access.services import token_create
from bankcrm.core.models import IdempotencyKey
from bankcrm.interactions.models import Interaction, Task


def bearer(user) -> Client:
    _token, raw = token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _post(client: Client, url: str, body: dict, key: str | None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


@pytest.mark.django_db
def test_a_retried_post_with_the_same_key_creates_once_and_replays_the_first_response(bank):
    client = bearer(bank.rm)
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    body = {"kind": "visit", "subject": "理财到期提醒"}
    first = _post(client, url, body, "retry-1")
    second = _post(client, url, body, "retry-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Interaction.objects.filter(customer=bank.mine).count() == 1
    # Without a key every POST creates; with a new key too.
    _post(client, url, body, "retry-2")
    _post(client, url, body, None)
    assert Interaction.objects.filter(customer=bank.mine).count() == 3


@pytest.mark.django_db
def test_the_same_key_for_a_different_request_is_refused(bank):
    client = bearer(bank.rm)
    url = f"/api/v1/customers/{bank.mine.pk}/tasks"
    task = {"title": "回访", "due_on": "2026-12-31"}
    assert _post(client, url, task, "k").status_code == 201
    other = _post(client, url, {**task, "title": "另一个"}, "k")
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert Task.objects.filter(customer=bank.mine).count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_caller(bank):
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    body = {"kind": "call", "subject": "电话"}
    _post(bearer(bank.rm), url, body, "shared")
    _post(bearer(bank.manager), url, body, "shared")  # another caller: its own request
    assert Interaction.objects.filter(customer=bank.mine).count() == 2


@pytest.mark.django_db
def test_a_rejected_request_is_replayed_as_rejected_and_creates_nothing(bank):
    client = bearer(bank.rm)
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    bad = {"kind": "telepathy", "subject": "x"}
    first = _post(client, url, bad, "bad-1")
    assert first.status_code == 400
    assert _post(client, url, bad, "bad-1").status_code == 400
    assert IdempotencyKey.objects.get(key="bad-1").status == 400
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_an_over_long_key_is_a_clear_error(bank):
    response = _post(bearer(bank.rm), "/api/v1/customers", {}, "x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_once(bank):
    _token, raw = token_create(user=bank.rm, name="race")
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    body = {"kind": "visit", "subject": "同时重试"}
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def call() -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        barrier.wait()
        try:
            statuses.append(_post(client, url, body, "race-key").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 8
    assert Interaction.objects.filter(customer=bank.mine, subject="同时重试").count() == 1


@pytest.mark.django_db
def test_each_token_has_its_own_rate_limit(bank, settings):
    settings.BANKCRM_API_RATE_LIMIT = 3
    busy, quiet = bearer(bank.rm), bearer(bank.rm2)
    assert [busy.get("/api/v1/customers").status_code for _ in range(3)] == [200] * 3
    limited = busy.get("/api/v1/customers")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= settings.BANKCRM_API_RATE_WINDOW
    assert "Too many requests" in limited.json()["detail"]
    assert quiet.get("/api/v1/customers").status_code == 200


# --- issue 15, finding 3: the limit and the replays come after authentication ---------------


@pytest.mark.django_db
def test_a_random_bearer_beside_the_session_cookie_is_401_and_does_not_bypass_the_limit(
    bank, settings
):
    settings.BANKCRM_API_RATE_LIMIT = 3
    client = Client()
    client.force_login(bank.rm)
    statuses = [
        client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer random-{i}").status_code
        for i in range(6)
    ]
    assert statuses == [401] * 6  # never a fall-through to the session
    assert client.get("/api/v1/customers", HTTP_AUTHORIZATION="Basic cm06cHc=").status_code == 401
    # The session itself is counted under its user.
    assert [client.get("/api/v1/customers").status_code for _ in range(4)] == [200] * 3 + [429]


@pytest.mark.django_db
def test_the_rate_limit_is_per_user_whatever_token_or_session_they_use(bank, settings):
    settings.BANKCRM_API_RATE_LIMIT = 4
    first, second = bearer(bank.rm), bearer(bank.rm)
    session = Client()
    session.force_login(bank.rm)
    statuses = [c.get("/api/v1/customers").status_code for c in (first, second, session, first)]
    assert statuses == [200] * 4
    assert second.get("/api/v1/customers").status_code == 429
    assert bearer(bank.rm2).get("/api/v1/customers").status_code == 200


@pytest.mark.django_db
def test_a_revoked_tokens_retry_is_refused_not_replayed(bank):
    from bankcrm.access.services import token_revoke

    token, raw = token_create(user=bank.rm, name="soon revoked")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    body = {"kind": "call", "subject": "撤销后重试"}
    assert _post(client, url, body, "after-revoke").status_code == 201
    token_revoke(token=token, user=bank.rm)
    retry = _post(client, url, body, "after-revoke")
    assert retry.status_code == 401 and "Idempotent-Replayed" not in retry


@pytest.mark.django_db
def test_no_key_is_kept_for_an_anonymous_or_invalid_caller(bank):
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    body = {"kind": "call", "subject": "匿名"}
    assert _post(Client(), url, body, "anon-1").status_code == 401
    assert _post(Client(HTTP_AUTHORIZATION="Bearer nope"), url, body, "anon-2").status_code == 401
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_idempotency_keys_expire_after_the_configured_hours(bank, settings):
    import datetime as dt

    from django.utils import timezone

    settings.BANKCRM_IDEMPOTENCY_HOURS = 24
    client = bearer(bank.rm)
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    body = {"kind": "call", "subject": "过期"}
    _post(client, url, body, "day-old")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = _post(client, url, body, "day-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Interaction.objects.filter(subject="过期").count() == 2
    assert IdempotencyKey.objects.count() == 1  # the expired one is gone
