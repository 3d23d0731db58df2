"""Next best product: what similar customers hold and took up next, filtered for suitability.

Pure numpy/pandas (no Django). Scores come from two signals learned from holdings:

* co-holding lift — how much more often customers holding product A also hold B than
  customers in general (item-to-item association, as in Amazon's item-based filtering);
* take-up order — among customers who opened A before B, how often B followed A.

Suitability is a hard filter, never a score: a product above the customer's valid risk
appetite (or any product above R1 without a valid assessment), above the age rule, off
sale, or with a minimum amount above the customer's liquid balance is never recommended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RISK_RANK = {"R1": 1, "R2": 2, "R3": 3, "R4": 4, "R5": 5}


@dataclass(frozen=True)
class SuitabilityRules:
    senior_age: int = 65  # at or above this age ...
    senior_max_risk: int = 3  # ... nothing above R3
    unassessed_max_risk: int = 1  # without a valid risk assessment: R1 only


@dataclass
class Recommendation:
    product: str
    score: float
    because: str  # the held product that most supports it ("" for popularity)
    lift: float
    reason_en: str
    reason_zh: str


@dataclass
class NextBestProduct:
    """Learn co-holding and take-up patterns from holdings; recommend suitable products.

    ``holdings`` has one row per (customer, product) with an ``opened`` date.
    """

    min_support: int = 5
    order_weight: float = 0.5
    rules: SuitabilityRules = field(default_factory=SuitabilityRules)

    def fit(self, holdings: pd.DataFrame) -> NextBestProduct:
        h = holdings[["customer", "product", "opened"]].drop_duplicates(["customer", "product"])
        products = sorted(h["product"].unique())
        self.products_ = products
        index = {p: i for i, p in enumerate(products)}
        customers = h["customer"].unique()
        cidx = pd.Index(customers)
        m = np.zeros((len(customers), len(products)), dtype=np.float64)
        m[cidx.get_indexer(h["customer"]), h["product"].map(index).to_numpy()] = 1.0
        n = max(len(customers), 1)
        support = m.sum(axis=0)
        co = m.T @ m  # customers holding both
        with np.errstate(divide="ignore", invalid="ignore"):
            conditional = co / support[:, None]  # P(B | A)
            lift = conditional / (support[None, :] / n)
        lift[~np.isfinite(lift)] = 0.0
        lift[co < self.min_support] = 0.0
        np.fill_diagonal(lift, 0.0)
        # Take-up order: for pairs held by the same customer, did B open after A?
        pairs = h.merge(h, on="customer", suffixes=("_a", "_b"))
        pairs = pairs[pairs["product_a"] != pairs["product_b"]]
        after = pairs[pairs["opened_b"] > pairs["opened_a"]]
        follow = np.zeros_like(lift)
        if len(after):
            counts = after.groupby(["product_a", "product_b"]).size()
            a = counts.index.get_level_values(0).map(index).to_numpy()
            b = counts.index.get_level_values(1).map(index).to_numpy()
            follow[a, b] = counts.to_numpy() / support[a]
        self.lift_ = lift
        self.follow_ = follow
        self.popularity_ = support / n
        return self

    def recommend(
        self,
        *,
        held: list[str],
        risk_appetite: str,
        risk_valid: bool,
        age: float | None,
        liquid_balance: float,
        catalogue: pd.DataFrame,
        n: int = 3,
    ) -> list[Recommendation]:
        """Top ``n`` suitable products the customer does not hold, each with its reason.

        ``catalogue`` has columns ``product``, ``risk_level`` (R1–R5), ``min_amount``,
        ``on_sale`` (bool) and ``name_en`` / ``name_zh``.
        """
        allowed = self.suitable(
            catalogue,
            risk_appetite=risk_appetite,
            risk_valid=risk_valid,
            age=age,
            liquid_balance=liquid_balance,
        )
        index = {p: i for i, p in enumerate(self.products_)}
        held_idx = [index[p] for p in held if p in index]
        names = catalogue.set_index("product")
        out: list[Recommendation] = []
        for product in allowed:
            if product in held or product not in index:
                continue
            j = index[product]
            if held_idx:
                lifts = self.lift_[held_idx, j]
                follows = self.follow_[held_idx, j]
                best = int(np.argmax(lifts + self.order_weight * follows))
                score = float(lifts.max() + self.order_weight * follows.max())
                because = self.products_[held_idx[best]]
                lift = float(lifts[best])
            else:
                score, because, lift = float(self.popularity_[j]), "", 0.0
            if score <= 0:
                score, because, lift = float(self.popularity_[j]) * 1e-3, "", 0.0
            out.append(_explain(product, score, because, lift, names))
        out.sort(key=lambda r: -r.score)
        return out[:n]

    def suitable(
        self,
        catalogue: pd.DataFrame,
        *,
        risk_appetite: str,
        risk_valid: bool,
        age: float | None,
        liquid_balance: float,
    ) -> list[str]:
        """Products the customer may be offered at all (the hard filter)."""
        r = self.rules
        limit = RISK_RANK.get(risk_appetite, 0) if risk_valid else r.unassessed_max_risk
        limit = max(min(limit, 5), r.unassessed_max_risk)
        if age is not None and age >= r.senior_age:
            limit = min(limit, r.senior_max_risk)
        c = catalogue
        ok = (
            c["on_sale"].astype(bool)
            & (c["risk_level"].map(RISK_RANK).fillna(9) <= limit)
            & (c["min_amount"].astype(float) <= float(liquid_balance))
        )
        return list(c.loc[ok, "product"])


def _explain(
    product: str, score: float, because: str, lift: float, names: pd.DataFrame
) -> Recommendation:
    def name(p: str, col: str) -> str:
        return str(names.loc[p, col]) if p in names.index and col in names else p

    if because:
        en = (
            f"customers who hold {name(because, 'name_en')} hold "
            f"{name(product, 'name_en')} {lift:.1f}× as often as others"
        )
        zh = (
            f"持有{name(because, 'name_zh')}的客户持有{name(product, 'name_zh')}"
            f"的比例是其他客户的{lift:.1f}倍"
        )
    else:
        en = f"{name(product, 'name_en')} is popular with customers like this one"
        zh = f"{name(product, 'name_zh')}在同类客户中较受欢迎"
    return Recommendation(
        product=product, score=score, because=because, lift=lift, reason_en=en, reason_zh=zh
    )
