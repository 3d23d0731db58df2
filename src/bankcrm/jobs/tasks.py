"""The job engine's own tasks: forgetting old runs, and a heartbeat to see workers answer."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from bankcrm.jobs.engine import JobTask
from bankcrm.jobs.models import JobRun, JobState


@shared_task(base=JobTask, kind="jobs-retention", key="jobs-retention", busy="skip")
def jobs_retention_task() -> dict[str, Any]:
    """Remove finished runs older than BANKCRM_JOB_RETENTION_DAYS; failures stay 4 times longer."""
    days = int(settings.BANKCRM_JOB_RETENTION_DAYS)
    now = timezone.now()
    done, _ = JobRun.objects.filter(
        state__in=[JobState.SUCCEEDED, JobState.SKIPPED],
        finished_at__lt=now - dt.timedelta(days=days),
    ).delete()
    failed, _ = JobRun.objects.filter(
        state=JobState.FAILED, finished_at__lt=now - dt.timedelta(days=4 * days)
    ).delete()
    return {"removed": done + failed}


@shared_task(base=JobTask, kind="heartbeat", key="heartbeat:{tag}", busy="skip")
def heartbeat_task(tag: str = "") -> dict[str, Any]:
    """Does nothing but record which worker ran it and when (schedule it to watch the workers)."""
    return {"host": socket.gethostname(), "at": timezone.now().isoformat(), "tag": tag}
