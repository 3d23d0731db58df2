"""What an analytics run can be told, and the error of a run that cannot start."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from bankcrm.analytics.clv import BankClvSettings
from bankcrm.analytics.lifecycle import LifecycleRules


@dataclass
class RunSettings:
    """What a run can be told; every field is stored with the run."""

    as_of: dt.date | None = None  # default: the day of the newest transaction
    horizon_months: int = 6
    max_train_rows: int = 300_000
    clusters: int = 5
    reasons_top: int = 3
    recommendations_top: int = 3
    seed: int = 0
    clv: BankClvSettings = field(default_factory=BankClvSettings)
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        out["clv"]["margins"] = dict(self.clv.margins)
        return out


class RunError(Exception):
    """A run that cannot start (another is running, or there is nothing to score)."""


__all__ = ["RunError", "RunSettings"]
