"""Lifecycle stages — new, growing, mature, declining, dormant, churned — by configurable rules.

Pure pandas (no Django). A stage is decided per customer from tenure, the AUM trend,
activity and products held; the first rule that matches wins, in the order of
``STAGE_ORDER``. ``transitions`` compares two runs so "moved to declining this month" is a
query on the stored transitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STAGE_ORDER = ("churned", "dormant", "new", "declining", "growing", "mature")

STAGE_LABELS: dict[str, tuple[str, str]] = {
    "new": ("New", "新客户"),
    "growing": ("Growing", "成长期"),
    "mature": ("Mature", "成熟期"),
    "declining": ("Declining", "衰退期"),
    "dormant": ("Dormant", "休眠"),
    "churned": ("Churned", "已流失"),
}


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the stage rules; a bank can set its own."""

    new_months: int = 6  # tenure below this is "new"
    dormant_days: int = 180  # no transaction for this long is "dormant"
    churned_aum: float = 100.0  # closed, or dormant with AUM below this, is "churned"
    declining_aum_change: float = -0.30  # AUM change over 6 months at or below this
    declining_txn_change: float = -0.50  # or transactions (3 months vs the 3 before) this low
    growing_aum_change: float = 0.20  # AUM change over 6 months at or above this
    growing_new_products: int = 1  # or this many more products than 6 months ago


REQUIRED = (
    "tenure_months",
    "aum",
    "aum_6m_ago",
    "txn_3m",
    "txn_prev_3m",
    "days_since_last_txn",
    "products",
    "products_6m_ago",
    "is_closed",
)


def _change(now: pd.Series, before: pd.Series) -> pd.Series:
    before = before.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = (now.astype(float) - before) / before.where(before > 0)
    # From nothing to something counts as growth; nothing to nothing as no change.
    fallback = pd.Series(np.where(now.astype(float) > 0, 1.0, 0.0), index=now.index)
    return change.fillna(fallback)


def lifecycle_stages(frame: pd.DataFrame, rules: LifecycleRules | None = None) -> pd.Series:
    """The stage of each customer (a row of ``frame`` with the ``REQUIRED`` columns)."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"lifecycle needs the columns {missing}")
    r = rules or LifecycleRules()
    f = frame
    aum_change = _change(f["aum"], f["aum_6m_ago"])
    txn_change = _change(f["txn_3m"], f["txn_prev_3m"])
    silent = f["days_since_last_txn"].fillna(np.inf) >= r.dormant_days
    conditions = {
        "churned": f["is_closed"].astype(bool) | (silent & (f["aum"] < r.churned_aum)),
        "dormant": silent,
        "new": f["tenure_months"] < r.new_months,
        "declining": (aum_change <= r.declining_aum_change)
        | ((txn_change <= r.declining_txn_change) & (f["txn_prev_3m"] >= 3)),
        "growing": (aum_change >= r.growing_aum_change)
        | (f["products"] - f["products_6m_ago"] >= r.growing_new_products),
        "mature": pd.Series(True, index=f.index),
    }
    choices = [np.asarray(conditions[name], dtype=bool) for name in STAGE_ORDER]
    return pd.Series(np.select(choices, list(STAGE_ORDER), default="mature"), index=f.index)


def transitions(previous: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Customers whose stage changed: columns ``from_stage`` and ``to_stage``.

    Both series are indexed by customer id; a customer absent before enters from "" (none).
    """
    before = previous.reindex(current.index).fillna("")
    changed = before != current
    return pd.DataFrame({"from_stage": before[changed], "to_stage": current[changed]})
