"""What an analytics run reads from the database: features, balances, fees, holdings, products.

Every read is set-based (one grouped query per table); the models then work on the frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.db.models import Sum

from bankcrm.banking.models import (
    Account,
    BalanceSnapshot,
    Product,
    ProductCategory,
    ProductStatus,
    Transaction,
    TransactionType,
)
from bankcrm.core.dates import months_before
from bankcrm.insights.features import extract_features
from bankcrm.insights.run_settings import RunError


@dataclass
class RunInputs:
    """Everything the models of a run learn from, as of the run day and two cut-offs."""

    now: pd.DataFrame  # features of every customer as of the run day
    then: pd.DataFrame  # ... as of one horizon earlier
    before: pd.DataFrame  # ... as of two horizons earlier
    balances: pd.DataFrame  # month-end balance by product category (columns)
    fees: pd.Series  # mean monthly fees over the last year
    history: pd.DataFrame  # every product each customer took up, with when
    current: pd.DataFrame  # the products each customer holds on the run day
    catalogue: pd.DataFrame  # the product catalogue

    @property
    def scored(self) -> pd.Index:
        """The customers a run scores: those still open on the run day."""
        return self.now.index[~self.now["is_closed"].astype(bool)]


def run_inputs_read(*, as_of: dt.date, cutoff: dt.date, cutoff2: dt.date) -> RunInputs:
    """Read a run's inputs; a bank with no customers by ``as_of`` has nothing to score."""
    now = extract_features(as_of=as_of)
    if now.empty:
        raise RunError("there are no customers to score")
    then = extract_features(as_of=cutoff)
    before = extract_features(as_of=cutoff2)
    balances = _balances_by_category(as_of)
    fees = _monthly_fees(as_of)
    history, current = _holdings(as_of)
    return RunInputs(
        now=now,
        then=then,
        before=before,
        balances=balances,
        fees=fees,
        history=history,
        current=current,
        catalogue=_catalogue(),
    )


def _balances_by_category(as_of: dt.date) -> pd.DataFrame:
    """Month-end balance of each customer in each product category (columns)."""
    rows = (
        BalanceSnapshot.objects.filter(month=months_before(as_of, 0))
        .values("customer_id", "account__product__category")
        .annotate(balance=Sum("balance"))
    )
    frame = pd.DataFrame.from_records(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=[str(c) for c in ProductCategory])
    wide = frame.pivot_table(
        index="customer_id",
        columns="account__product__category",
        values="balance",
        aggfunc="sum",
    ).astype(float)
    return wide.reindex(columns=[str(c) for c in ProductCategory]).fillna(0.0)


def _monthly_fees(as_of: dt.date) -> pd.Series:
    """Each customer's fees over the year to ``as_of``, per month."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=365)
    rows = (
        Transaction.objects.filter(
            txn_type=TransactionType.FEE, booked_at__gte=start, booked_at__lt=end
        )
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values_list("customer_id", "total")
    )
    return pd.Series({c: float(t) / 12 for c, t in rows}, dtype=float)


def _holdings(as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every product each customer took up by ``as_of`` (with when), and what they hold now."""
    rows = Account.objects.filter(opened_on__lte=as_of).values_list(
        "customer_id", "product__code", "opened_on", "closed_on"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["customer", "product", "opened", "closed"]
    )
    history = (
        frame.sort_values("opened")
        .drop_duplicates(["customer", "product"])
        .reset_index(drop=True)[["customer", "product", "opened"]]
    )
    closed = pd.to_datetime(frame["closed"])
    held = frame[closed.isna() | (closed > pd.Timestamp(as_of))]
    return history, held[["customer", "product"]].drop_duplicates()


def _catalogue() -> pd.DataFrame:
    """The products with what the suitability filter needs: risk level, minimum, on sale."""
    rows = Product.objects.values_list(
        "code", "risk_level", "min_amount", "status", "name_en", "name_zh"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["product", "risk_level", "min_amount", "status", "name_en", "name_zh"]
    )
    frame["on_sale"] = frame["status"] == ProductStatus.ON_SALE
    frame["min_amount"] = frame["min_amount"].astype(float)
    return frame


__all__ = ["RunInputs", "run_inputs_read"]
