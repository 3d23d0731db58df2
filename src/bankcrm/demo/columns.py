"""Column batches: what the demo generators hand to the writers and the export files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import models


@dataclass(frozen=True)
class Cat:
    """A categorical column: integer codes into a tuple of labels."""

    codes: np.ndarray
    labels: Sequence[str]


@dataclass(frozen=True)
class Cents:
    """A money column as integer cents (written as a 2-place decimal)."""

    values: np.ndarray


# numpy arrays: int64 → integer, bool → boolean, datetime64[D] → date, datetime64[s] → UTC
# timestamp (NaT → NULL); lists hold Python values (str, None, Decimal, date, bool, dict).
Column = np.ndarray | Cat | Cents | list[Any]


@dataclass
class Batch:
    model: type[models.Model]
    columns: dict[str, Column]

    def __len__(self) -> int:
        first = next(iter(self.columns.values()))
        if isinstance(first, Cat):
            return len(first.codes)
        if isinstance(first, Cents):
            return len(first.values)
        return len(first)


@dataclass
class Counters:
    """The next primary key of each table, carried from chunk to chunk."""

    next_id: dict[type[models.Model], int] = field(default_factory=dict)

    def take(self, model: type[models.Model], n: int) -> np.ndarray:
        start = self.next_id[model]
        self.next_id[model] = start + n
        return np.arange(start, start + n, dtype=np.int64)
