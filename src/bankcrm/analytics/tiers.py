"""Wealth tiers by AUM, with the bank's thresholds configurable (pure Python)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Lower AUM bound of each tier in CNY, highest first (the style of Chinese retail banks).
DEFAULT_TIERS: tuple[tuple[str, Decimal], ...] = (
    ("private", Decimal("6000000")),
    ("diamond", Decimal("2000000")),
    ("platinum", Decimal("500000")),
    ("gold", Decimal("50000")),
    ("mass", Decimal("0")),
)


def tier_for(aum: Decimal, tiers: Sequence[tuple[str, Decimal]] = DEFAULT_TIERS) -> str:
    """The tier whose lower bound is the highest one at or below ``aum``."""
    for name, floor in tiers:
        if aum >= floor:
            return name
    return tiers[-1][0]


def assign_tiers(
    aum: ArrayLike, tiers: Sequence[tuple[str, Decimal]] = DEFAULT_TIERS
) -> NDArray[np.str_]:
    """Vectorised ``tier_for`` over an array of AUM values."""
    values = np.asarray(aum, dtype=np.float64)
    ordered = sorted(tiers, key=lambda t: t[1])
    floors = np.array([float(f) for _n, f in ordered])
    names = np.array([n for n, _f in ordered])
    idx = np.searchsorted(floors, values, side="right") - 1
    return names[np.clip(idx, 0, len(names) - 1)]
