"""Dashboard KPIs over the API, same scope as the dashboard page."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Router

from bankcrm.api import schemas as s
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.insights.selectors import Period, dashboard

router = Router(tags=["kpis"])


@router.get("/kpis", response=s.responses({200: s.KpiOut}))
def kpis(request: AuthenticatedRequest, months: int = 12) -> dict[str, Any]:
    today = timezone.localdate()
    months = max(1, min(months, 36))
    d = dashboard(user=request.user, period=Period.last_months(months, today), today=today)
    return {
        "period_start": d.period.start,
        "period_end": d.period.end,
        "customers": d.customers,
        "active_customers": d.active_customers,
        "total_aum": d.total_aum,
        "new_this_month": d.new_this_month,
        "retention_rate": d.retention_rate,
        "churn_rate": d.churn_rate,
        "cross_sell_ratio": d.cross_sell_ratio,
        "aum_trend": [{"month": m, "aum": a} for m, a in d.aum_trend],
    }
