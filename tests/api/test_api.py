"""The HTTP API: token auth, scope, masking, 360, cursor pagination, validation errors."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from bankcrm.access.models import ApiToken
from bankcrm.access.services import token_create
from bankcrm.core.models import AuditEvent
from tests.factories import AccountFactory, CustomerFactory, SnapshotFactory, TransactionFactory


def bearer(user) -> Client:
    _token, raw = token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_tokens_are_stored_hashed_and_authenticate(bank):
    token, raw = token_create(user=bank.rm, name="laptop")
    assert raw not in {token.key_hash, token.prefix} and len(token.key_hash) == 64
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/customers").status_code == 200


def test_expired_or_revoked_or_wrong_tokens_are_refused(bank):
    token, raw = token_create(user=bank.rm, name="old")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert client.get("/api/v1/customers").status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None, revoked_at=timezone.now())
    assert client.get("/api/v1/customers").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/customers").status_code == 401


def test_list_is_scoped_and_masked(bank):
    body = bearer(bank.rm).get("/api/v1/customers").json()
    assert [c["id"] for c in body["items"]] == [bank.mine.pk]
    item = body["items"][0]
    assert item["mobile_masked"] == bank.mine.mobile[:3] + "****" + bank.mine.mobile[-4:]
    assert bank.mine.id_number not in json.dumps(body)
    assert bank.mine.mobile not in json.dumps(body)


def test_cursor_pagination_walks_all_customers(bank):
    CustomerFactory.create_batch(7, branch=bank.beijing, rm=bank.rm)
    client = bearer(bank.rm)
    seen, url = [], "/api/v1/customers?limit=3"
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["items"]]
        url = (
            f"/api/v1/customers?limit=3&cursor={body['next_cursor']}"
            if body["next_cursor"]
            else None
        )
    assert len(seen) == 8 == len(set(seen))


def test_360_has_every_section_and_is_audited(bank):
    acct = AccountFactory(customer=bank.mine)
    SnapshotFactory(account=acct, month=timezone.localdate().replace(day=1))
    TransactionFactory(account=acct, channel="alipay")
    body = bearer(bank.rm).get(f"/api/v1/customers/{bank.mine.pk}/360").json()
    assert body["customer"]["customer_no"] == bank.mine.customer_no
    # A 16-digit debit card: first 6 and last 4, whatever the role.
    card = acct.account_no
    assert body["accounts"][0]["account_no"] == card[:6] + "******" + card[-4:]
    assert body["recent_transactions"][0]["account_no"] == body["accounts"][0]["account_no"]
    assert card not in json.dumps(body)
    assert len(body["aum_trend"]) == 36 and body["aum_trend"][-1]["aum"] == "10000.00"
    assert body["channel_mix"] == [{"channel": "alipay", "count": 1}]
    assert len(body["consents"]) == 15
    assert bank.mine.id_number not in json.dumps(body)
    assert AuditEvent.objects.filter(
        action="view", customer_id=bank.mine.pk, channel="api"
    ).exists()


def test_out_of_scope_customer_is_404_not_403(bank):
    client = bearer(bank.rm)
    for path in ("", "/360"):
        assert client.get(f"/api/v1/customers/{bank.other.pk}{path}").status_code == 404
    assert client.get("/api/v1/customers/999999").status_code == 404


def test_creating_an_interaction_validates_and_writes_once(bank):
    client = bearer(bank.rm)
    url = f"/api/v1/customers/{bank.mine.pk}/interactions"
    bad = client.post(
        url, json.dumps({"kind": "telepathy", "subject": "x"}), content_type="application/json"
    )
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    ok = client.post(
        url,
        json.dumps({"kind": "visit", "subject": "理财到期提醒"}),
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["subject"] == "理财到期提醒"
    assert bank.mine.interactions.count() == 1


def test_reveal_over_api_needs_a_reason(bank):
    client = bearer(bank.compliance)
    url = f"/api/v1/customers/{bank.mine.pk}/reveal"
    bad = client.post(
        url, json.dumps({"field": "mobile", "reason": ""}), content_type="application/json"
    )
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
    ok = client.post(
        url,
        json.dumps({"field": "mobile", "reason": "客户投诉调查"}),
        content_type="application/json",
    )
    assert ok.json()["value"] == bank.mine.mobile


def test_kpis_follow_scope(bank):
    assert bearer(bank.rm).get("/api/v1/kpis").json()["customers"] == 1
    assert bearer(bank.admin).get("/api/v1/kpis").json()["customers"] == 3


def test_api_token_command_prints_a_working_token(bank):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api_token", bank.rm.username, stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/customers").json()["items"][0]["id"] == bank.mine.pk


def test_token_page_shows_a_new_token_once_and_revoking_stops_it(bank, login):
    client = login(bank.rm)
    html = client.post("/account/tokens/", {"name": "手机", "days": "30"}).content.decode()
    raw = html.split('data-testid="new-token">')[1].split("<")[0]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/customers").status_code == 200
    assert raw not in client.get("/account/tokens/").content.decode()
    token = ApiToken.objects.get(user=bank.rm)
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/customers").status_code == 401


def test_api_errors_speak_the_callers_language(bank):
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    anonymous = Client().get("/api/v1/customers", **zh)
    assert anonymous.status_code == 401 and "API" in anonymous.json()["detail"]
    assert anonymous.json()["detail"] != Client().get("/api/v1/customers").json()["detail"]
    client = bearer(bank.rm)
    missing = client.post(
        f"/api/v1/customers/{bank.mine.pk}/interactions",
        json.dumps({"kind": "visit"}),
        content_type="application/json",
        **zh,
    )
    assert missing.status_code == 422
    assert missing.json()["errors"]["subject"] == ["这个字段是必填项。"]
    english = client.post(
        f"/api/v1/customers/{bank.mine.pk}/interactions",
        json.dumps({"kind": "visit"}),
        content_type="application/json",
    )
    assert english.json()["errors"]["subject"] == ["This field is required."]
    gone = client.get(f"/api/v1/customers/{bank.far.pk}", **zh)
    assert gone.status_code == 404 and gone.json()["detail"] != "Not found."


def test_the_aum_trend_of_a_new_customer_starts_when_they_joined(bank):
    today = timezone.localdate()
    joined = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=15)
    newcomer = CustomerFactory(branch=bank.beijing, rm=bank.rm, onboarded_on=joined)
    body = bearer(bank.rm).get(f"/api/v1/customers/{newcomer.pk}/360").json()
    months = [p["month"] for p in body["aum_trend"]]
    assert months[0] == joined.replace(day=1).isoformat() and 2 <= len(months) <= 3
