"""Analytics over the API: runs and their reports, the at-risk worklist, KPIs by segment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from bankcrm.api import schemas as s
from bankcrm.core.permissions import AuthenticatedRequest, require_role
from bankcrm.core.roles import CAN_MANAGE_JOBS
from bankcrm.insights.models import AnalyticsRun
from bankcrm.insights.selectors import SEGMENT_GROUPS, at_risk_worklist, run_metrics, segment_kpis
from bankcrm.jobs.engine import enqueue

router = Router(tags=["analytics"])


@router.get("/analytics/runs", response=s.responses({200: list[s.RunOut]}))
def list_runs(request: AuthenticatedRequest, limit: int = 20) -> Any:
    """The newest analytics runs (bank-wide figures only; no customer data)."""
    return AnalyticsRun.objects.all()[: max(1, min(limit, 100))]


class RunStartIn(Schema):
    as_of: dt.date | None = None
    horizon_months: int = Field(6, ge=1, le=36)
    seed: int = Field(0, ge=0, lt=2**31)


@router.post("/analytics/runs", response=s.responses({202: s.JobRunOut}, 400, 403))
def start_run(request: AuthenticatedRequest, body: RunStartIn) -> tuple[int, Any]:
    """Start an analytics run as a job (on the analytics queue); follow it at /jobs/{id}."""
    from bankcrm.insights.tasks import analytics_run_task

    require_role(request.user, CAN_MANAGE_JOBS, _("Only administrators may start a run."))
    job = enqueue(
        analytics_run_task,
        actor=request.user,
        as_of=body.as_of.isoformat() if body.as_of else None,
        horizon_months=body.horizon_months,
        seed=body.seed,
    )
    job.refresh_from_db()
    return 202, job


@router.get("/analytics/runs/{run_id}", response=s.responses({200: s.RunDetailOut}, 404))
def get_run(request: AuthenticatedRequest, run_id: s.Id) -> Any:
    """One run with its parameters and evaluation metrics (the model report). Roles with a
    narrow scope get model quality only, not the bank-wide segment figures (their own are at
    /kpis/segments)."""
    run = get_object_or_404(AnalyticsRun, pk=run_id)
    run.metrics = run_metrics(user=request.user, metrics=run.metrics)
    return run


@router.get("/analytics/at-risk", response=s.responses({200: s.AtRiskPage}))
def at_risk(request: AuthenticatedRequest, limit: int = 50) -> dict[str, Any]:
    """Your customers from the newest run, highest value at risk (CLV × churn) first."""
    run, rows = at_risk_worklist(user=request.user, limit=max(1, min(limit, 500)))
    return {"run_id": run.pk if run else None, "items": rows}


@router.get("/kpis/segments", response=s.responses({200: s.SegmentKpisOut}))
def kpis_by_segment(request: AuthenticatedRequest, by: str = "segment") -> dict[str, Any]:
    """Customers, AUM, mean CLV, mean churn risk and value at risk per segment, in your scope.

    `by` is one of segment (RFM), tier, lifecycle, life_stage.
    """
    by = by if by in SEGMENT_GROUPS else "segment"
    run, rows = segment_kpis(user=request.user, by=by)
    return {"run_id": run.pk if run else None, "by": by, "rows": rows}
