"""Reads of what a customer holds: accounts and their AUM, the AUM trend, transactions.

Callers pass a customer they have already read through the scoped customer selectors."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.shortcuts import get_object_or_404

from bankcrm.banking.aum import split_holdings
from bankcrm.banking.models import Account, BalanceSnapshot, Transaction
from bankcrm.core.dates import day_start_utc, month_starts
from bankcrm.core.validators import CENT
from bankcrm.customers.models import Customer


@dataclass
class Holdings:
    accounts: list[Account]
    aum: Decimal
    deposits: Decimal
    investments: Decimal
    liabilities: Decimal


def holdings(*, customer: Customer) -> Holdings:
    """The customer's accounts (open first, largest first) and what they add up to."""
    accounts = list(
        Account.objects.filter(customer=customer)
        .select_related("product")
        .order_by("status", "-balance")
    )
    aum, deposits, liabilities = split_holdings(accounts)
    return Holdings(
        accounts=accounts,
        aum=aum,
        deposits=deposits,
        investments=aum - deposits,
        liabilities=liabilities,
    )


def account_get(*, customer: Customer, account_id: int) -> Account:
    """One of the customer's accounts (404 when it is not theirs)."""
    return get_object_or_404(
        Account.objects.select_related("customer"), pk=account_id, customer=customer
    )


def aum_trend_months(*, customer: Customer, months: int, today: dt.date) -> list[dt.date]:
    """The months a customer's AUM trend covers: up to the last month the core-banking export
    has balances for, and from the month the customer joined (the months before are not a
    balance of nought)."""
    latest = BalanceSnapshot.objects.aggregate(m=Max("month"))["m"]
    starts = month_starts(min(latest, today) if latest else today, months)
    joined = customer.onboarded_on.replace(day=1) if customer.onboarded_on else None
    if joined is not None and joined > starts[0]:
        starts = [m for m in starts if m >= joined] or starts[-1:]
    return starts


def aum_trend(*, customer: Customer, starts: list[dt.date]) -> list[tuple[dt.date, Decimal]]:
    """The customer's AUM at each month in ``starts`` from the monthly balances."""
    by_month = dict(
        BalanceSnapshot.objects.filter(customer=customer, counts_to_aum=True, month__gte=starts[0])
        .values_list("month")
        .annotate(total=Sum("balance"))
        .values_list("month", "total")
    )
    return [(m, (by_month.get(m) or Decimal("0")).quantize(CENT)) for m in starts]


def recent_transactions(*, customer: Customer, limit: int = 20) -> list[Transaction]:
    return list(
        Transaction.objects.filter(customer=customer)
        .select_related("account__product")
        .order_by("-booked_at", "-id")[:limit]
    )


def channel_mix(*, customer: Customer, since: dt.date) -> list[tuple[str, int]]:
    """Transactions per channel booked from ``since``, the busiest channel first."""
    counts = Counter(
        dict(
            Transaction.objects.filter(customer=customer, booked_at__gte=day_start_utc(since))
            .values_list("channel")
            .annotate(n=Count("id"))
            .values_list("channel", "n")
        )
    )
    return counts.most_common()
