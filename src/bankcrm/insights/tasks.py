"""The analytics run as a job: nightly from the schedule, or started by an administrator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from bankcrm.insights.runs import RUN_LOCK, STAGES, RunError, RunSettings, analytics_run
from bankcrm.jobs.engine import JobFailed, JobTask, job_progress


@shared_task(base=JobTask, kind="analytics", key=RUN_LOCK, busy="skip")
def analytics_run_task(
    *, as_of: str | None = None, horizon_months: int = 6, seed: int = 0
) -> dict[str, Any]:
    """Score every customer (``insights.runs``); the run's row holds the figures."""
    done: list[str] = []

    def advance(stage: str) -> None:
        done.append(stage)
        job_progress(stage=stage, done=len(done), total=len(STAGES))

    try:
        run = analytics_run(
            settings=RunSettings(
                as_of=dt.date.fromisoformat(as_of) if as_of else None,
                horizon_months=horizon_months,
                seed=seed,
            ),
            progress=advance,
        )
    except RunError as exc:  # bad input (no customers, a bad setting): no retry
        raise JobFailed(str(exc)) from exc
    return {"run": run.pk, "customers": run.customers, "as_of": run.as_of.isoformat()}
