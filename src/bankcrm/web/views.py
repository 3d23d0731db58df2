"""The shared frame's pages: log-in and the dashboard."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from bankcrm.core import two_factor
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.core.security import LockingAuthenticationForm, client_ip, login_locked_until
from bankcrm.insights.selectors import SEGMENT_GROUPS, Period, dashboard, segment_kpis
from bankcrm.web.charts import bar_chart, line_chart

PERIOD_CHOICES = [3, 6, 12, 24]


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    form_class = LockingAuthenticationForm


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def two_factor_view(request: AuthenticatedRequest) -> HttpResponse:
    """The second factor: a code from the authenticator app; set-up when there is none yet."""
    device = two_factor.device_for(request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    error = ""
    if request.method == "POST":
        if two_factor.totp_verify(request=request, code=request.POST.get("code", "")):
            return redirect(next_url or "web:dashboard")
        until = login_locked_until(username=request.user.get_username(), ip=client_ip(request))
        if until is not None:
            logout(request)
            messages.error(
                request,
                _("Too many wrong codes: log-in is locked until %(time)s.")
                % {"time": timezone.localtime(until).strftime("%H:%M")},
            )
            return redirect("web:login")
        error = _("That code is not right, or was already used. Enter the current code.")
    context: dict[str, Any] = {"device": device, "next": next_url, "error": error}
    if device.confirmed_at is None:
        uri = two_factor.provisioning_uri(device)
        context["uri"] = uri
        context["qr_svg"] = segno.make(uri, error="m").svg_inline(scale=4, dark="#1d2733")
        context["secret_groups"] = " ".join(
            device.secret[i : i + 4] for i in range(0, len(device.secret), 4)
        )
    return render(request, "web/two_factor.html", context, status=400 if error else 200)


@login_required
@require_safe
def dashboard_view(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        months = int(request.GET.get("months", 12))
    except ValueError:
        months = 12
    if months not in PERIOD_CHOICES:
        months = 12
    d = dashboard(user=request.user, period=Period.last_months(months, today), today=today)
    by = request.GET.get("by", "segment")
    by = by if by in SEGMENT_GROUPS else "segment"
    run, segments = segment_kpis(user=request.user, by=by)
    context = {
        "run": run,
        "segments": segments,
        "by": by,
        "group_choices": [
            ("segment", _("RFM segment")),
            ("tier", _("Tier")),
            ("lifecycle", _("Lifecycle stage")),
            ("life_stage", _("Life stage")),
        ],
        "segment_fig": bar_chart(
            [r.label for r in segments],
            [r.value_at_risk or 0 for r in segments],
            title=_("Value at risk by segment"),
        )
        if segments
        else "",
        "d": d,
        "months": months,
        "period_choices": PERIOD_CHOICES,
        "trend_fig": line_chart(
            [m for m, _v in d.aum_trend],
            [v for _m, v in d.aum_trend],
            title=_("AUM over the last 24 months"),
        ),
        "tier_fig": bar_chart(
            [label for _c, label, _a, _n in d.aum_by_tier],
            [a for _c, _l, a, _n in d.aum_by_tier],
            title=_("AUM by tier"),
        ),
        "branch_fig": bar_chart(
            [name for name, _a, _n in d.aum_by_branch],
            [a for _name, a, _n in d.aum_by_branch],
            title=_("AUM by branch"),
            horizontal=True,
        ),
    }
    return render(request, "web/dashboard.html", context)
