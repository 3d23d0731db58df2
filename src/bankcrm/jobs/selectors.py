"""Reading job runs: the Jobs page and ``GET /api/v1/jobs`` (administrators only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from bankcrm.core.permissions import require_role
from bankcrm.core.roles import CAN_MANAGE_JOBS
from bankcrm.jobs.models import JobRun, JobState

FILTERS = ("state", "kind", "queue")


def job_runs_visible_to(user: Any, filters: dict[str, str] | None = None) -> QuerySet[JobRun]:
    require_role(user, CAN_MANAGE_JOBS, _("Only administrators may see the jobs."))
    runs = JobRun.objects.select_related("created_by")
    for name, value in (filters or {}).items():
        if name in FILTERS and value:
            runs = runs.filter(**{name: value[:40]})
    return runs


def job_run_get(*, user: Any, job_id: int) -> JobRun:
    try:
        return job_runs_visible_to(user).get(pk=job_id)
    except JobRun.DoesNotExist:
        raise Http404 from None


def job_counts(user: Any) -> dict[str, int]:
    """Runs by state: the Jobs page's header."""
    rows = job_runs_visible_to(user).order_by().values("state").annotate(n=Count("id"))
    counts = {state.value: 0 for state in JobState}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def job_kinds(user: Any) -> list[str]:
    return sorted(
        set(job_runs_visible_to(user).order_by().values_list("kind", flat=True).distinct())
    )
