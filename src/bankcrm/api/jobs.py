"""Background jobs over the API (administrators): list, read, and run a failed one again."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router

from bankcrm.api.schemas import Id, JobRunOut, Text, responses
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.jobs.engine import job_run_again
from bankcrm.jobs.models import JobRun, JobState
from bankcrm.jobs.selectors import job_run_get, job_runs_visible_to

router = Router(tags=["jobs"])


@router.get("/jobs", response=responses({200: list[JobRunOut]}, 403))
def list_jobs(
    request: AuthenticatedRequest,
    state: Text = "",
    kind: Text = "",
    queue: Text = "",
    limit: int = 50,
) -> Any:
    """The newest job runs, optionally by state (queued, running, retrying, succeeded,
    failed, skipped), kind or queue."""
    filters = {"state": state, "kind": kind, "queue": queue}
    return list(job_runs_visible_to(request.user, filters)[: max(1, min(limit, 500))])


@router.get("/jobs/{job_id}", response=responses({200: JobRunOut}, 403, 404))
def get_job(request: AuthenticatedRequest, job_id: Id) -> JobRun:
    """One job run: state, attempts, times, progress, result and the last error."""
    return job_run_get(user=request.user, job_id=job_id)


@router.post("/jobs/{job_id}/run-again", response=responses({202: JobRunOut}, 400, 403, 404))
def run_job_again(request: AuthenticatedRequest, job_id: Id) -> tuple[int, JobRun]:
    """Queue a failed job again with the same arguments (a new run; audited)."""
    job = job_run_get(user=request.user, job_id=job_id)
    if job.state != JobState.FAILED:
        raise ValidationError({"state": [_("Only a failed job can be run again.")]})
    again = job_run_again(job, actor=request.user)
    again.refresh_from_db()
    return 202, again
