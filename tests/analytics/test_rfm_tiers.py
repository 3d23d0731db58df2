"""RFM scores and segments, and wealth tiers, on hand-worked data."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from bankcrm.analytics.rfm import rfm_scores
from bankcrm.analytics.tiers import assign_tiers, tier_for


def test_rfm_scores_best_and_worst_customers():
    frame = pd.DataFrame(
        {
            "recency_days": [1, 2, 3, 4, 5, 100, 200, 300, 400, 500],
            "frequency": [50, 40, 30, 20, 10, 9, 8, 3, 2, 1],
            "monetary": [9e5, 8e5, 7e5, 6e5, 5e5, 4e4, 3e4, 2e4, 1e4, 1e3],
        }
    )
    out = rfm_scores(frame)
    assert out.loc[0, "rfm"] == "555" and out.loc[0, "segment"] == "champions"
    assert out.loc[9, "rfm"] == "111" and out.loc[9, "segment"] == "lost"
    assert out[["r", "f", "m"]].isin([1, 2, 3, 4, 5]).all().all()
    assert (out["segment"] != "other").all()


def test_rfm_lapsed_big_spender_cannot_be_lost():
    frame = pd.DataFrame(
        {
            "recency_days": [1, 2, 3, 4, 400],
            "frequency": [1, 2, 3, 4, 50],
            "monetary": [1, 2, 3, 4, 1e6],
        }
    )
    assert rfm_scores(frame).loc[4, "segment"] == "cannot_lose"


def test_tiers_follow_the_thresholds():
    assert tier_for(Decimal("49999.99")) == "mass"
    assert tier_for(Decimal("50000")) == "gold"
    assert tier_for(Decimal("6000000")) == "private"
    values = np.array([0, 50000, 499999, 500000, 2e6, 7e6])
    assert list(assign_tiers(values)) == ["mass", "gold", "gold", "platinum", "diamond", "private"]
    custom = (("vip", Decimal("100")), ("base", Decimal("0")))
    assert list(assign_tiers([99, 100], custom)) == ["base", "vip"]
