"""Insights pages: the at-risk worklist, where one click opens a retention task."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core.roles import CAN_LOG_INTERACTIONS, has_role
from bankcrm.customers.selectors import customer_get
from bankcrm.insights.labels import SEGMENTS, STAGES
from bankcrm.insights.selectors import at_risk_worklist, latest_score
from bankcrm.interactions.services import task_create


@login_required
@require_safe
def at_risk_view(request: HttpRequest) -> HttpResponse:
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
def retention_task_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    if not has_role(request.user, CAN_LOG_INTERACTIONS):
        raise PermissionDenied
    score = latest_score(customer_id=customer.pk)
    reasons = score.churn_reasons if score else []
    zh = (request.LANGUAGE_CODE or "").startswith("zh")
    why = "; ".join(r["zh" if zh else "en"] for r in reasons[:2])
    task = task_create(
        actor=request.user,
        customer=customer,
        title=(_("Retention call: %(why)s") % {"why": why})[:200] if why else _("Retention call"),
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )
    return render(request, "insights/_task_created.html", {"task": task})
