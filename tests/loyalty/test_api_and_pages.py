"""The loyalty API (read, redeem with an Idempotency-Key, refusals, cancel), the 360 card's
redemption, the dashboard's figures and the churn features."""

from __future__ import annotations

import datetime as dt
import json

from django.urls import reverse

from bankcrm.access.services import token_create
from bankcrm.loyalty.features import loyalty_features
from bankcrm.loyalty.models import Member, Redemption, Reward
from tests.loyalty.conftest import give, reward


def _api(user):
    from django.test import Client

    _token, raw = token_create(user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_api_reads_points_and_redeems_once_per_idempotency_key(bank, programme):
    give(bank.mine, 300)
    prize = reward(price=100, stock=5)
    api = _api(bank.rm)
    url = reverse("api:redeem_points", kwargs={"customer_id": bank.mine.pk})
    body = json.dumps({"reward_id": prize.pk})
    first = api.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Redemption.objects.count() == 1
    read = api.get(reverse("api:get_loyalty", kwargs={"customer_id": bank.mine.pk})).json()
    assert read["balance"] == 200 and read["tier"]["code"] == "standard"
    assert [e["kind"] for e in read["entries"]] == ["redeem", "earn"]
    rid = first.json()["id"]
    cancel = api.post(
        reverse(
            "api:cancel_redemption", kwargs={"customer_id": bank.mine.pk, "redemption_id": rid}
        ),
        "{}",
        content_type="application/json",
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert Member.objects.get(customer=bank.mine).balance == 300


def test_api_refusal_says_why_under_its_code(bank, programme):
    give(bank.mine, 50)
    prize = reward(price=100)
    response = _api(bank.rm).post(
        reverse("api:redeem_points", kwargs={"customer_id": bank.mine.pk}),
        json.dumps({"reward_id": prize.pk}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "insufficient_points" in response.json()["errors"]
    assert "100" in response.json()["detail"]


def test_the_360_card_redeems_and_shows_the_refusal(bank, programme, login):
    give(bank.mine, 150)
    prize = reward(price=100)
    client = login(bank.rm)
    page = client.get(reverse("customers:detail", args=[bank.mine.pk])).content.decode()
    assert 'data-testid="loyalty-card"' in page and 'data-testid="points-balance">150<' in page
    url = reverse("loyalty:redeem", args=[bank.mine.pk])
    ok = client.post(url, {"reward": prize.pk, "quantity": 1})
    assert ok.status_code == 200 and 'data-testid="points-balance">50<' in ok.content.decode()
    refused = client.post(url, {"reward": prize.pk, "quantity": 1})
    assert refused.status_code == 409 and "balance is too small" in refused.content.decode()


def test_dashboard_figures_show_the_liability(bank, programme, login):
    give(bank.mine, 1000)
    html = login(bank.admin).get(reverse("loyalty:kpis")).content.decode()
    assert 'data-testid="points-liability">¥10.00<' in html


def test_churn_features_carry_points_and_tier(bank, programme):
    give(bank.mine, 70)
    frame = loyalty_features(dt.date.today())
    row = frame.loc[bank.mine.pk]
    assert row["points_earned_6m"] == 70 and row["loyalty_tier_rank"] == 0
    assert Reward.objects.exists()
