"""A programme set up with its defaults, and helpers to give a customer points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from bankcrm.loyalty import defaults, services
from bankcrm.loyalty.models import Member, Reward
from tests.factories import AccountFactory, ProductFactory, TransactionFactory


@pytest.fixture
def programme(db) -> Any:
    return defaults.programme_setup_defaults(actor=None)


def booked(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def purchase(customer: Any, amount: str, *, day: dt.date | None = None, **kw: Any) -> Any:
    account = kw.pop("account", None) or AccountFactory(customer=customer)
    return TransactionFactory(
        account=account,
        amount=Decimal(amount),
        booked_at=booked(day or timezone.localdate()),
        **kw,
    )


def give(customer: Any, points: int, key: str = "") -> Member:
    """``points`` awarded to ``customer`` (a campaign-like award), their member returned."""
    services.points_award(
        customer=customer,
        points=points,
        source="campaign",
        reason="test",
        idempotency_key=key or f"test:{customer.pk}:{points}:{Member.objects.count()}",
    )
    member = services.member_of(customer.pk)
    assert member is not None
    return member


def reward(code: str = "r", price: int = 100, stock: int | None = None, **kw: Any) -> Reward:
    return Reward.objects.create(
        code=code,
        name_zh="奖品",
        name_en="Prize",
        kind="gift",
        points_price=price,
        stock=stock,
        **kw,
    )


def card_product() -> Any:
    return ProductFactory(category="credit_card", name_zh="信用卡", name_en="Credit card")
