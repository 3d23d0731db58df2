"""One analytics run: features from the database, every model, per-customer scores stored.

Stages (each timed into the run's metrics):

1. features — ``extract_features`` as of the run date and at two earlier cut-offs, set-based
   SQL; plus balances by product category, fees and holdings (``run_inputs``);
2. churn — a time-based split: the evaluation model learns from customers as they were two
   horizons ago (label: closed within the next horizon) and is scored on customers one
   horizon ago against what then happened, beside a logistic regression on RFM; the model
   that scores today learns from one horizon ago (``run_models``, as are 3 to 5);
3. rfm, tiers, lifecycle, segments — vectorised rules, k-means clusters;
4. clv — BG/NBD P(alive) and the bank CLV (margin on balances and fees, discounted);
5. recommend — next best products with the hard suitability filter, and a hold-out check
   against a popularity baseline;
6. write — one ``CustomerScore`` per customer and the lifecycle transitions, in one
   transaction, so a run's scores appear all at once or not at all (``run_scores``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import lightgbm
import pandas as pd
import sklearn
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from bankcrm.banking.models import Transaction
from bankcrm.core.dates import shift_months
from bankcrm.insights.models import AnalyticsRun, RunStatus
from bankcrm.insights.run_inputs import run_inputs_read
from bankcrm.insights.run_models import (
    churn_scores,
    clv_scores,
    recommendations,
    segment_metrics,
    segment_scores,
)
from bankcrm.insights.run_scores import run_scores_write
from bankcrm.insights.run_settings import RunError, RunSettings
from bankcrm.jobs.locks import job_lock

MODEL_VERSION = "insights-2026.11"
RUN_LOCK = "analytics"  # one analytics run at a time, whichever process or host starts it

Progress = Callable[[str], None]


def default_as_of() -> dt.date:
    last = Transaction.objects.aggregate(m=Max("booked_at"))["m"]
    return timezone.localtime(last).date() if last else timezone.localdate()


class _Clock:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    def stage(self, name: str) -> _Stage:
        return _Stage(self, name)


class _Stage:
    def __init__(self, clock: _Clock, name: str) -> None:
        self.clock, self.name = clock, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.start
        self.clock.timings[self.name] = round(elapsed, 3)
        if self.clock.progress is not None and exc[0] is None:
            self.clock.progress(self.name)


STAGES = ("features", "churn", "segments", "clv", "recommend", "write")


def analytics_run(
    *, settings: RunSettings | None = None, progress: Progress | None = None
) -> AnalyticsRun:
    """Run every model over every customer and store the scores; returns the run.

    A failure marks the run failed with the error and re-raises; the scores of a failed run
    are never written (the write stage is one transaction).
    """
    cfg = settings or RunSettings()
    as_of = cfg.as_of or default_as_of()
    cfg.as_of = as_of
    with job_lock(RUN_LOCK) as taken:
        if not taken:
            raise RunError("another analytics run is in progress")
        run = _start(cfg, as_of)
        try:
            holdout = _execute(run, cfg, as_of, _Clock(progress))
        except BaseException as exc:
            AnalyticsRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
            )
            raise
    run.refresh_from_db()
    # Not stored: the hold-out customers' labels and scores, for checks against other truth.
    run.holdout = holdout  # type: ignore[attr-defined]
    return run


def _start(cfg: RunSettings, as_of: dt.date) -> AnalyticsRun:
    """Record a new running run. The caller holds the run lock: a run still marked running
    died with its process (the lock went with it)."""
    with transaction.atomic():
        AnalyticsRun.objects.filter(status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error="interrupted: the process running it stopped before it finished",
        )
        return AnalyticsRun.objects.create(
            started_at=timezone.now(),
            as_of=as_of,
            model_version=MODEL_VERSION,
            parameters={
                **cfg.to_json(),
                "libraries": {
                    "lightgbm": lightgbm.__version__,
                    "scikit-learn": sklearn.__version__,
                },
            },
        )


def _execute(run: AnalyticsRun, cfg: RunSettings, as_of: dt.date, clock: _Clock) -> pd.DataFrame:
    """Every stage in turn, each timed; returns the churn evaluation's hold-out customers."""
    h = cfg.horizon_months
    cutoff = shift_months(as_of, -h)
    cutoff2 = shift_months(as_of, -2 * h)
    metrics: dict[str, Any] = {"as_of": as_of.isoformat(), "horizon_months": h}

    with clock.stage("features"):
        inputs = run_inputs_read(as_of=as_of, cutoff=cutoff, cutoff2=cutoff2)
    now, scored = inputs.now, inputs.scored
    open_now = now.loc[scored]

    with clock.stage("churn"):
        churn = churn_scores(
            cfg, open_now, inputs.then, inputs.before, cutoff=cutoff, cutoff2=cutoff2
        )
        metrics["churn"] = churn.metrics

    with clock.stage("segments"):
        segments = segment_scores(cfg, now, scored)

    with clock.stage("clv"):
        clv = clv_scores(cfg, open_now, inputs.balances, inputs.fees, churn.probability)
        metrics["bgnbd"] = clv.bgnbd

    with clock.stage("recommend"):
        recs, metrics["recommend"] = recommendations(
            cfg, open_now, inputs.balances, inputs.history, inputs.current, inputs.catalogue
        )

    metrics.update(segment_metrics(segments, scored, clv.clv))

    with clock.stage("write"), transaction.atomic():
        written, metrics["transitions"] = run_scores_write(
            run=run,
            now=now,
            scored=scored,
            segments=segments,
            clv=clv,
            churn=churn,
            recs=recs,
            as_of=as_of,
        )
        metrics["timings"] = clock.timings
        AnalyticsRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED,
            finished_at=timezone.now(),
            customers=written,
            metrics=metrics,
        )
    # The write stage's timing lands after the update above: store it too.
    metrics["timings"] = clock.timings
    AnalyticsRun.objects.filter(pk=run.pk).update(metrics=metrics)
    return churn.holdout


__all__ = ["MODEL_VERSION", "STAGES", "RunError", "RunSettings", "analytics_run"]
