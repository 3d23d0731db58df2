"""Vectorised helpers of the demo generators: day numbers, timestamps and random picks.

Days are integer day numbers since 1970-01-01; timestamps are integer UTC epoch seconds. The
bank keeps local (Asia/Shanghai, UTC+8 without daylight saving) business days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

LOCAL_UTC_OFFSET_S = 8 * 3600
SECONDS_PER_DAY = 86_400
EPOCH = dt.date(1970, 1, 1)
# The missing value of day and second columns (NaT once converted).
NAT = np.iinfo(np.int64).min


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def days_to_dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def seconds_to_datetimes(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


def nullable_days(days: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Dates where `mask` is true, NULL elsewhere."""
    return np.where(mask, days, NAT).astype("datetime64[D]")


def local_seconds(days: np.ndarray, seconds_of_day: np.ndarray) -> np.ndarray:
    """UTC epoch seconds of a local (UTC+8) day and time of day."""
    return (
        np.asarray(days, dtype=np.int64) * SECONDS_PER_DAY
        + np.asarray(seconds_of_day, dtype=np.int64)
        - LOCAL_UTC_OFFSET_S
    )


def add_one_year(days: np.ndarray) -> np.ndarray:
    """The same calendar day a year later (29 February → 28 February)."""
    d = days_to_dates(days)
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    later = month + 12
    length = ((later + 1).astype("datetime64[D]") - later.astype("datetime64[D]")).astype(np.int64)
    out = later.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    return out.astype(np.int64)


def hours(rng: np.random.Generator, k: int, start: float, end: float) -> np.ndarray:
    """`k` random times of day (seconds) between two hours."""
    return rng.integers(int(start * 3600), int(end * 3600), k)


def daytime(rng: np.random.Generator, k: int) -> np.ndarray:
    """Times of day of customer-initiated payments: mostly 8:00–22:00, peaking after noon."""
    return np.clip(rng.normal(14 * 3600, 4 * 3600, k), 6 * 3600, 23.9 * 3600).astype(np.int64)


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × categories) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def weights(values: Sequence[float]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def zipf(n: int) -> np.ndarray:
    return weights([1.0 / (i + 3) for i in range(n)])
