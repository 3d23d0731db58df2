"""Insights pages: the at-risk worklist, where one click opens a retention task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_LOG_INTERACTIONS, has_role
from bankcrm.customers.selectors import customer_get
from bankcrm.insights.labels import SEGMENTS, STAGES, feature_label
from bankcrm.insights.models import AnalyticsRun
from bankcrm.insights.selectors import at_risk_worklist, latest_score, run_metrics
from bankcrm.interactions.models import TaskSource
from bankcrm.interactions.services import task_create
from bankcrm.web.charts import bar_chart, line_chart, scatter_chart


@login_required
@require_safe
def at_risk_view(request: AuthenticatedRequest) -> HttpResponse:
    run, rows = at_risk_worklist(user=request.user)
    return render(
        request,
        "insights/at_risk.html",
        {
            "run": run,
            "rows": rows,
            "stages": STAGES,
            "segments": SEGMENTS,
            "zh": (request.LANGUAGE_CODE or "").startswith("zh"),
            "can_log": has_role(request.user, CAN_LOG_INTERACTIONS),
        },
    )


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def retention_task_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    score = latest_score(customer_id=customer.pk)
    reasons = score.churn_reasons if score else []
    zh = (request.LANGUAGE_CODE or "").startswith("zh")
    why = "; ".join(r["zh" if zh else "en"] for r in reasons[:2])
    task = task_create(
        actor=request.user,
        customer=customer,
        title=(_("Retention call: %(why)s") % {"why": why})[:200] if why else _("Retention call"),
        due_on=timezone.localdate() + dt.timedelta(days=3),
        source=TaskSource.RETENTION,
    )
    return render(request, "insights/_task_created.html", {"task": task})


@login_required
@require_safe
def run_list_view(request: AuthenticatedRequest) -> HttpResponse:
    runs = AnalyticsRun.objects.all()[:50]
    return render(request, "insights/runs.html", {"runs": runs})


@login_required
@require_safe
def run_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The model report of one run: AUC, calibration, lift, importances, segments, CLV."""
    run = get_object_or_404(AnalyticsRun, pk=pk)
    m = run_metrics(user=request.user, metrics=run.metrics)
    churn: dict[str, Any] = m["churn"] if isinstance(m.get("churn"), dict) else {}
    figs: dict[str, str] = {}
    if churn.get("calibration"):
        cal = churn["calibration"]
        figs["calibration"] = scatter_chart(
            [b["mean_predicted"] for b in cal],
            [b["observed_rate"] for b in cal],
            title=_("Calibration: predicted vs observed churn"),
            diagonal=True,
        )
    if churn.get("lift"):
        lift = churn["lift"]
        figs["gain"] = line_chart(
            [d["decile"] for d in lift],
            [d["cumulative_gain"] for d in lift],
            title=_("Cumulative gain by risk decile"),
            money=False,
        )
    if churn.get("top_features"):
        top = churn["top_features"][:12]
        figs["importance"] = bar_chart(
            [feature_label(t["feature"]) for t in top][::-1],
            [t["importance"] for t in top][::-1],
            title=_("Feature importance (mean contribution to the log-odds)"),
            horizontal=True,
            money=False,
        )
    if m.get("segments"):
        seg = m["segments"]
        figs["segments"] = bar_chart(
            [str(SEGMENTS.get(k, k)) for k in seg],
            list(seg.values()),
            title=_("Customers by RFM segment"),
            money=False,
        )
    if m.get("lifecycle"):
        life = m["lifecycle"]
        figs["lifecycle"] = bar_chart(
            [str(STAGES.get(k, k)) for k in life],
            list(life.values()),
            title=_("Customers by lifecycle stage"),
            money=False,
        )
    if m.get("clv_by_segment"):
        cbs = m["clv_by_segment"]
        figs["clv"] = bar_chart(
            [str(SEGMENTS.get(k, k)) for k in cbs],
            list(cbs.values()),
            title=_("Median CLV by segment"),
        )
    zh = (request.LANGUAGE_CODE or "").startswith("zh")
    return render(
        request,
        "insights/run_detail.html",
        {"run": run, "m": m, "churn": churn, "figs": figs, "zh": zh},
    )
