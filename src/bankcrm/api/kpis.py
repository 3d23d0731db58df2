"""Dashboard KPIs over the API, same scope as the dashboard page."""

from __future__ import annotations

from django.utils import timezone
from ninja import Router

from bankcrm.api import schemas as s
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.insights.selectors import Dashboard, Period, dashboard

router = Router(tags=["kpis"])


@router.get("/kpis", response=s.responses({200: s.KpiOut}))
def kpis(request: AuthenticatedRequest, months: int = 12) -> Dashboard:
    today = timezone.localdate()
    months = max(1, min(months, 36))
    d = dashboard(user=request.user, period=Period.last_months(months, today), today=today)
    return d
