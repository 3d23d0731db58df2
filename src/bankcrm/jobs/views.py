"""The Jobs page: every task run, where it stands, its last error, and "run again"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.jobs.engine import job_run_again
from bankcrm.jobs.models import JobState
from bankcrm.jobs.selectors import FILTERS, job_counts, job_kinds, job_run_get, job_runs_visible_to


@login_required
@require_safe
def job_list_view(request: AuthenticatedRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    runs = job_runs_visible_to(request.user, filters)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    live = any(not run.finished for run in page)
    context = {
        "page": page,
        "filters": filters,
        "counts": job_counts(request.user),
        "states": JobState.choices,
        "kinds": job_kinds(request.user),
        "live": live,
    }
    template = "jobs/_table.html" if request.headers.get("HX-Request") else "jobs/list.html"
    return render(request, template, context)


@login_required
@require_safe
def job_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = job_run_get(user=request.user, job_id=pk)
    return render(request, "jobs/detail.html", {"job": job})


@login_required
@require_POST
def job_run_again_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = job_run_get(user=request.user, job_id=pk)
    if job.state != JobState.FAILED:
        messages.error(request, _("Only a failed job can be run again."))
        return redirect("jobs:detail", pk=job.pk)
    again = job_run_again(job, actor=request.user)
    messages.success(
        request, _("Job #%(id)s queued again as #%(new)s.") % {"id": job.pk, "new": again.pk}
    )
    return redirect("jobs:detail", pk=again.pk)
