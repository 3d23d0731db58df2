"""RFM: recency, frequency and monetary scores 1–5 and named segments (pure Python).

Scores are quintiles over the customers scored together (5 = best: most recent, most
frequent, highest value). Segments follow the common RFM grid on (R, mean of F and M).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SegmentRule:
    """A named segment: customers whose R and FM scores fall in the given inclusive ranges."""

    name: str
    r: tuple[int, int]
    fm: tuple[int, int]


# First matching rule wins; the ranges cover the whole 1–5 × 1–5 grid.
DEFAULT_SEGMENTS: tuple[SegmentRule, ...] = (
    SegmentRule("champions", (5, 5), (4, 5)),
    SegmentRule("loyal", (3, 5), (3, 5)),
    SegmentRule("new", (5, 5), (1, 1)),
    SegmentRule("potential", (4, 5), (1, 3)),
    SegmentRule("cannot_lose", (1, 2), (4, 5)),
    SegmentRule("at_risk", (1, 2), (3, 3)),
    SegmentRule("needs_attention", (3, 3), (1, 2)),
    SegmentRule("hibernating", (2, 2), (1, 2)),
    SegmentRule("lost", (1, 1), (1, 2)),
)


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Scores 1–5 by rank quintile; ties share a score, an all-equal column scores 3."""
    if values.nunique(dropna=True) <= 1:
        return pd.Series(3, index=values.index, dtype="int64")
    ranks = values.rank(method="average", pct=True, ascending=higher_is_better)
    return np.ceil(ranks * 5).clip(1, 5).astype("int64")


def rfm_scores(
    frame: pd.DataFrame,
    *,
    recency: str = "recency_days",
    frequency: str = "frequency",
    monetary: str = "monetary",
    segments: Sequence[SegmentRule] = DEFAULT_SEGMENTS,
) -> pd.DataFrame:
    """Add ``r``, ``f``, ``m`` scores, ``rfm`` code and ``segment`` to a per-customer frame.

    ``recency`` is days since the last transaction (lower is better); ``frequency`` a count
    and ``monetary`` a value over the same window (higher is better).
    """
    out = frame.copy()
    r = quintile_scores(out[recency].astype(float), higher_is_better=False).to_numpy()
    f = quintile_scores(out[frequency].astype(float)).to_numpy()
    m = quintile_scores(out[monetary].astype(float)).to_numpy()
    out["r"], out["f"], out["m"] = r, f, m
    # Codes and segments come from small lookup tables (125 codes, a 5 × 5 grid), stored as
    # categoricals: no string is built per customer.
    codes = [f"{i}{j}{k}" for i in range(1, 6) for j in range(1, 6) for k in range(1, 6)]
    out["rfm"] = pd.Categorical.from_codes((r - 1) * 25 + (f - 1) * 5 + (m - 1), codes)
    names = list(dict.fromkeys([rule.name for rule in segments] + ["other"]))
    grid = np.full((5, 5), names.index("other"), dtype=np.int64)
    for rule in reversed(segments):  # the first matching rule wins
        grid[rule.r[0] - 1 : rule.r[1], rule.fm[0] - 1 : rule.fm[1]] = names.index(rule.name)
    fm = np.floor((f + m) / 2 + 0.5).astype(np.int64)
    out["segment"] = pd.Categorical.from_codes(grid[r - 1, fm - 1], names)
    return out
