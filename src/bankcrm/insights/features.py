"""Per-customer features extracted in the database (aggregations in SQL, not row loops).

Each query groups a whole table by customer once; pandas only joins the results.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Max, Min, Q, Sum

from bankcrm.banking.models import (
    AUM_CATEGORIES,
    Account,
    BalanceSnapshot,
    Direction,
    Transaction,
    TransactionType,
)
from bankcrm.core.dates import day_start_utc, months_before
from bankcrm.customers.models import Customer
from bankcrm.interactions.models import Interaction
from bankcrm.loyalty.features import LOYALTY_FEATURES, loyalty_features

DIGITAL = ["mobile", "online", "wechat_pay", "alipay"]


def _frame(rows: Any, index: str = "customer_id") -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(rows))
    return frame.set_index(index) if len(frame) else pd.DataFrame()


TXN_COUNTS = (
    "frequency_12m",
    "monetary_12m",
    "txn_3m",
    "txn_prev_3m",
    "salary_3m",
    "salary_prev_3m",
    "digital_3m",
    "digital_prev_3m",
    "outflow_3m",
)


def extract_features(*, as_of: dt.date) -> pd.DataFrame:
    """Features of every customer onboarded by ``as_of``, as seen on that day."""
    customers = _customers(as_of)
    if customers.empty:
        return customers
    f = customers.join(
        [
            _transactions(as_of),
            _aum_months(as_of),
            _accounts(as_of),
            _contacts(as_of),
            loyalty_features(as_of),
        ],
        how="left",
    )
    # A table with no rows in the window (a young bank, an early cut-off) adds no columns.
    for col in ("last_txn", "first_txn_12m"):
        if col not in f:
            f[col] = pd.NaT
    for col in TXN_COUNTS + ("balance_volatility",):
        if col not in f:
            f[col] = np.nan
    _add_timing(f, as_of)
    _fill_counts(f)
    _add_changes(f, as_of)
    return f


def _end(as_of: dt.date) -> dt.datetime:
    """The first moment after ``as_of``: windows end here, exclusive."""
    return day_start_utc(as_of + dt.timedelta(days=1))


def _six_months_ago(as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=182)


def _customers(as_of: dt.date) -> pd.DataFrame:
    return _frame(
        Customer.objects.filter(onboarded_on__lte=as_of).values(
            "id",
            "onboarded_on",
            "birth_date",
            "closed_on",
            "risk_appetite",
            "risk_expires_on",
            "kind",
        ),
        index="id",
    )


def _transactions(as_of: dt.date) -> pd.DataFrame:
    """Last transaction, counts and sums over the last 3, 6 and 12 months (``TXN_COUNTS``)."""
    end = _end(as_of)
    d90, d180, d365 = (day_start_utc(as_of - dt.timedelta(days=n)) for n in (90, 180, 365))
    return _frame(
        Transaction.objects.filter(booked_at__lt=end)
        .values("customer_id")
        .annotate(
            last_txn=Max("booked_at"),
            first_txn_12m=Min("booked_at", filter=Q(booked_at__gte=d365)),
            frequency_12m=Count("id", filter=Q(booked_at__gte=d365)),
            monetary_12m=Sum("amount", filter=Q(booked_at__gte=d365)),
            txn_3m=Count("id", filter=Q(booked_at__gte=d90)),
            txn_prev_3m=Count("id", filter=Q(booked_at__gte=d180, booked_at__lt=d90)),
            salary_3m=Count("id", filter=Q(booked_at__gte=d90, txn_type=TransactionType.SALARY)),
            salary_prev_3m=Count(
                "id",
                filter=Q(booked_at__gte=d180, booked_at__lt=d90, txn_type=TransactionType.SALARY),
            ),
            digital_3m=Count("id", filter=Q(booked_at__gte=d90, channel__in=DIGITAL)),
            digital_prev_3m=Count(
                "id", filter=Q(booked_at__gte=d180, booked_at__lt=d90, channel__in=DIGITAL)
            ),
            outflow_3m=Sum("amount", filter=Q(booked_at__gte=d90, direction=Direction.DEBIT)),
        )
    )


def _aum_months(as_of: dt.date) -> pd.DataFrame:
    """AUM at the last month end, six months before it, and its volatility over the seven."""
    m_now = months_before(as_of, 0)
    months = [months_before(as_of, k) for k in range(6, -1, -1)]
    snaps = pd.DataFrame.from_records(
        list(
            BalanceSnapshot.objects.filter(counts_to_aum=True, month__in=months)
            .values("customer_id", "month")
            .annotate(aum=Sum("balance"))
        )
    )
    if not len(snaps):
        return pd.DataFrame(columns=["aum", "aum_6m_ago", "balance_volatility"])
    monthly = (
        snaps.pivot_table(index="customer_id", columns="month", values="aum", aggfunc="sum")
        .astype(float)
        .reindex(columns=months)
    )
    monthly = monthly.fillna(0.0)
    return pd.DataFrame(
        {
            "aum": monthly[m_now],
            "aum_6m_ago": monthly[months[0]],
            "balance_volatility": monthly.std(axis=1) / monthly.mean(axis=1).replace(0, np.nan),
        }
    )


def _accounts(as_of: dt.date) -> pd.DataFrame:
    """Products held now and six months ago, accounts closed since, accounts counting to AUM."""
    d6m = _six_months_ago(as_of)
    return _frame(
        Account.objects.filter(opened_on__lte=as_of)
        .values("customer_id")
        .annotate(
            products=Count(
                "product_id",
                distinct=True,
                filter=Q(closed_on__isnull=True) | Q(closed_on__gt=as_of),
            ),
            products_6m_ago=Count(
                "product_id",
                distinct=True,
                filter=Q(opened_on__lte=d6m) & (Q(closed_on__isnull=True) | Q(closed_on__gt=d6m)),
            ),
            closed_accounts_6m=Count("id", filter=Q(closed_on__gt=d6m, closed_on__lte=as_of)),
            aum_accounts=Count(
                "id", filter=Q(product__category__in=[str(c) for c in AUM_CATEGORIES])
            ),
        )
    )


def _contacts(as_of: dt.date) -> pd.DataFrame:
    return _frame(
        Interaction.objects.filter(
            occurred_at__gte=day_start_utc(_six_months_ago(as_of)), occurred_at__lt=_end(as_of)
        )
        .filter(customer__isnull=False)  # a contact with a lead not a customer yet (sales)
        .values("customer_id")
        .annotate(interactions_6m=Count("id"))
    )


def _add_timing(f: pd.DataFrame, as_of: dt.date) -> None:
    """Tenure, age, recency, and the BG/NBD inputs in weeks over the last year."""
    end = _end(as_of)
    f["tenure_months"] = (pd.Timestamp(as_of) - pd.to_datetime(f["onboarded_on"])).dt.days / 30.44
    f["age"] = (pd.Timestamp(as_of) - pd.to_datetime(f["birth_date"])).dt.days / 365.25
    last = pd.to_datetime(f["last_txn"], utc=True)
    f["recency_days"] = (pd.Timestamp(end) - last).dt.days
    f["days_since_last_txn"] = f["recency_days"].fillna(10_000)
    first = pd.to_datetime(f["first_txn_12m"], utc=True)
    # BG/NBD inputs in weeks over the last year: repeat transactions, recency, age in window.
    f["bg_frequency"] = (f["frequency_12m"].fillna(0) - 1).clip(lower=0)
    f["bg_T"] = ((pd.Timestamp(end) - first).dt.days / 7).fillna(0)
    f["bg_recency"] = ((last - first).dt.days / 7).fillna(0).clip(lower=0)
    f["bg_recency"] = np.minimum(f["bg_recency"], f["bg_T"])


# Counts and sums that are 0, not unknown, for a customer without rows in their window.
ZERO_WHEN_ABSENT = (
    "frequency_12m",
    "txn_3m",
    "txn_prev_3m",
    "salary_3m",
    "salary_prev_3m",
    "digital_3m",
    "digital_prev_3m",
    "products",
    "products_6m_ago",
    "closed_accounts_6m",
    "interactions_6m",
    "aum",
    "aum_6m_ago",
    "monetary_12m",
    "outflow_3m",
    *LOYALTY_FEATURES,
)


def _fill_counts(f: pd.DataFrame) -> None:
    for col in ZERO_WHEN_ABSENT:
        f[col] = f[col].astype(float).fillna(0.0) if col in f else 0.0


def _add_changes(f: pd.DataFrame, as_of: dt.date) -> None:
    """Status on the day, and the changes on the previous period an RM can act on."""
    day = pd.Timestamp(as_of)
    f["is_closed"] = pd.to_datetime(f["closed_on"]).le(day)  # NaT (open) compares False
    f["salary_stopped"] = ((f["salary_prev_3m"] > 0) & (f["salary_3m"] == 0)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f["aum_change_6m"] = (
            (f["aum"] - f["aum_6m_ago"]) / f["aum_6m_ago"].where(f["aum_6m_ago"] > 0)
        ).fillna(0.0)
        share_now = f["digital_3m"] / f["txn_3m"].where(f["txn_3m"] > 0)
        share_before = f["digital_prev_3m"] / f["txn_prev_3m"].where(f["txn_prev_3m"] > 0)
        f["digital_share_change"] = (share_now - share_before).fillna(0.0)
        f["txn_trend"] = (
            (f["txn_3m"] - f["txn_prev_3m"]) / f["txn_prev_3m"].where(f["txn_prev_3m"] > 0)
        ).fillna(0.0)
    f["risk_valid"] = pd.to_datetime(f["risk_expires_on"]).ge(day)


# The columns the churn model learns from (what an RM can act on, named in reasons).
CHURN_FEATURES = [
    "recency_days",
    "frequency_12m",
    "monetary_12m",
    "aum",
    "aum_change_6m",
    "balance_volatility",
    "products",
    "closed_accounts_6m",
    "digital_share_change",
    "salary_stopped",
    "interactions_6m",
    "tenure_months",
    "age",
    "txn_3m",
    "txn_trend",
    "kind",
    *LOYALTY_FEATURES,
]
