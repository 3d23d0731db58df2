"""The shared frame's page: the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core import lists
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.insights.selectors import SEGMENT_GROUPS, Period, dashboard, segment_kpis
from bankcrm.web.charts import bar_chart, line_chart
from bankcrm.web.search import global_search

PERIOD_CHOICES = [3, 6, 12, 24]


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


@login_required
@require_safe
def search_view(request: AuthenticatedRequest) -> HttpResponse:
    """The top bar's search: hits as a fragment while typing (HTMX), or as a page."""
    q = request.GET.get("q", "")
    groups = global_search(user=request.user, q=q)
    template = "web/_search_results.html" if getattr(request, "htmx", False) else "web/search.html"
    return render(request, template, {"q": q, "groups": groups})


def _back(request: AuthenticatedRequest, fallback: str) -> str:
    """Where to go after a form: a local path the form named, else ``fallback``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@require_POST
def saved_view_create_view(request: AuthenticatedRequest) -> HttpResponse:
    """Save the list's current filters, columns and sort under a name (audited)."""
    spec = lists.spec_named(request.POST.get("list", ""))
    if spec is None:
        raise Http404
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(f"{reverse(spec.url_name)}?{request.POST.get('query', '')}")
    params = QueryDict(request.POST.get("query", ""))
    view, dropped = lists.saved_view_create(
        actor=request.user,
        spec=spec,
        name=name,
        params=params,
        shared=request.POST.get("shared") == "1",
    )
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    if dropped:
        messages.info(request, _("Searches for numbers (a mobile, an ID) are not kept in a view."))
    return redirect(f"{reverse(spec.url_name)}?{view.query}")


@login_required
@require_POST
def saved_view_delete_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    view = lists.saved_view_get(user=request.user, pk=pk)
    if view is None:
        raise Http404
    spec = lists.spec_named(view.list_name)
    lists.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(_back(request, reverse(spec.url_name) if spec else "/"))
