"""Real concurrent transactions on PostgreSQL: threads, each with its own connection, redeem
and earn at once. Nothing is overspent, stock never goes below zero, an event earns once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from bankcrm.loyalty import runs, services
from bankcrm.loyalty.models import Entry, Member, Redemption, Reward
from tests.conftest import on_postgres
from tests.factories import CustomerFactory
from tests.loyalty.conftest import give, purchase, reward

pytestmark = [
    pytest.mark.skipif(not on_postgres(), reason="real concurrent transactions need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 50


def _race(work: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released together; their results (or exceptions)."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 -- the test reads every outcome
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _outcomes(results: list[Any]) -> Counter[str]:
    return Counter(
        r.code if isinstance(r, services.LoyaltyRefused) else type(r).__name__ for r in results
    )


def test_fifty_redemptions_for_one_customer_never_overspend(bank, programme):
    member = give(bank.mine, 1000)  # covers 10 of the 50
    prize = reward(price=100)
    results = _race(
        lambda i: services.redemption_create(actor=bank.rm, customer=bank.mine, reward=prize)
    )
    outcomes = _outcomes(results)
    assert outcomes == {"Redemption": 10, "insufficient_points": 40}, outcomes
    refusals = [r for r in results if isinstance(r, services.LoyaltyRefused)]
    assert all("balance is too small" in r.message for r in refusals)
    member.refresh_from_db()
    total = Entry.objects.filter(member=member).aggregate(s=Sum("points"))["s"]
    assert member.balance == total == 0
    assert Redemption.objects.filter(member=member).count() == 10


def test_fifty_clients_on_the_last_units_of_a_reward_never_take_stock_below_zero(bank, programme):
    customers = [CustomerFactory(branch=bank.beijing, rm=bank.rm) for _ in range(THREADS)]
    for c in customers:
        give(c, 500)
    prize = reward(price=100, stock=7)
    results = _race(
        lambda i: services.redemption_create(actor=bank.admin, customer=customers[i], reward=prize)
    )
    outcomes = _outcomes(results)
    assert outcomes == {"Redemption": 7, "out_of_stock": 43}, outcomes
    assert Reward.objects.get(pk=prize.pk).stock == 0
    assert runs.balance_check().differences == 0
    spent = Member.objects.filter(balance=400).count()
    assert spent == 7


def test_the_same_earn_event_delivered_twice_at_once_adds_once(bank, programme):
    for _ in range(20):
        purchase(bank.mine, "100.00")
    results = _race(lambda i: runs.earn_transactions(since_id=0), n=2)
    assert not [r for r in results if isinstance(r, Exception)], results
    member = Member.objects.get(customer=bank.mine)
    assert (
        member.balance == 200 == Entry.objects.filter(member=member).aggregate(s=Sum("points"))["s"]
    )
    assert sorted(r.entries for r in results) == [0, 20]
