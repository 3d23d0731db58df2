"""Storing an analytics run's results: one ``CustomerScore`` per customer, lifecycle moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from bankcrm.core.bulk import bulk_insert
from bankcrm.insights.models import (
    SCORE_FIELDS,
    AnalyticsRun,
    CustomerScore,
    LifecycleTransition,
    RunStatus,
)
from bankcrm.insights.run_models import ChurnResult, ClvResult, SegmentResult

SCORE_COLUMNS = ("run_id", "customer_id", "recency_days", *SCORE_FIELDS)


def run_scores_write(
    *,
    run: AnalyticsRun,
    now: pd.DataFrame,
    scored: pd.Index,
    segments: SegmentResult,
    clv: ClvResult,
    churn: ChurnResult,
    recs: list[list[dict[str, Any]]],
    as_of: dt.date,
) -> tuple[int, dict[str, int]]:
    """Write every customer's score and each move of lifecycle stage since the last run.

    Returns the number of scores written and the moves into each stage. The caller holds
    the transaction, so that a run's scores appear all at once or not at all.
    """
    previous = _previous_stages(run)
    rows = _score_rows(
        run=run,
        now=now,
        scored=scored,
        segments=segments,
        clv=clv,
        churn=churn,
        recs=recs,
    )
    written = bulk_insert(CustomerScore, SCORE_COLUMNS, rows)
    moved = _transitions(run, previous, segments.stages, as_of)
    return written, moved


def _num(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if np.isnan(v) else v


def _money(value: Any) -> Decimal | None:
    v = _num(value)
    return None if v is None else Decimal(f"{v:.2f}")


def _score_rows(
    *,
    run: AnalyticsRun,
    now: pd.DataFrame,
    scored: pd.Index,
    segments: SegmentResult,
    clv: ClvResult,
    churn: ChurnResult,
    recs: list[list[dict[str, Any]]],
) -> Iterator[tuple[Any, ...]]:
    """One row of ``SCORE_COLUMNS`` per customer; a closed customer has only its stages."""
    position = {int(c): i for i, c in enumerate(scored)}
    rfm_code = segments.rfm["rfm"].to_dict()
    segment = segments.rfm["segment"].to_dict()
    tiers, stages, life = segments.tiers, segments.stages, segments.life
    recency = now["recency_days"]
    for cid in now.index:
        c = int(cid)
        i = position.get(c)
        if i is None:  # closed: only its stage matters now
            yield (
                run.pk,
                c,
                None,
                "",
                "lost",
                tiers[cid],
                stages[cid],
                life[cid],
                None,
                None,
                None,
                None,
                None,
                [],
                [],
            )
            continue
        p = _num(churn.probability.iat[i])
        value = _num(clv.clv.iat[i])
        cluster = _num(segments.clusters.iat[i])
        yield (
            run.pk,
            c,
            None if pd.isna(recency[cid]) else int(recency[cid]),
            rfm_code[cid],
            segment[cid],
            tiers[cid],
            stages[cid],
            life[cid],
            None if cluster is None else int(cluster),
            _num(clv.p_alive.iat[i]),
            _money(value),
            p,
            _money(value * p) if value is not None and p is not None else None,
            churn.reasons.get(c, []),
            recs[i],
        )


def _previous_stages(run: AnalyticsRun) -> dict[int, str]:
    last = (
        AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED, pk__lt=run.pk)
        .order_by("-pk")
        .first()
    )
    if last is None:
        return {}
    return dict(
        CustomerScore.objects.filter(run=last).values_list("customer_id", "lifecycle_stage")
    )


def _transitions(
    run: AnalyticsRun, previous: dict[int, str], stages: pd.Series, as_of: dt.date
) -> dict[str, int]:
    moved: dict[str, int] = {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for cid, stage in stages.items():
            before = previous.get(int(cid), "")
            if before != stage:
                moved[str(stage)] = moved.get(str(stage), 0) + 1
                yield (run.pk, int(cid), before, stage, as_of)

    bulk_insert(
        LifecycleTransition, ("run_id", "customer_id", "from_stage", "to_stage", "on"), rows()
    )
    return moved


__all__ = ["SCORE_COLUMNS", "run_scores_write"]
