"""Scheduled jobs (settings.BANKCRM_SCHEDULE): Celery beat's schedule, and running them now.

An entry names a task and when it runs: ``at`` a local time of day (HH:MM in TIME_ZONE) or
``every`` so many seconds. Celery beat sends each when due; ``bankcrm scheduler --once`` runs
them in this process now (for banks that drive jobs from cron).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from celery.schedules import crontab, schedule
from django.conf import settings


@dataclass(frozen=True)
class Scheduled:
    name: str
    task: str
    at: dt.time | None = None  # local time of day
    every: int | None = None  # seconds
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, entry: dict[str, Any]) -> Scheduled:
        name = str(entry.get("name") or "")
        task = str(entry.get("task") or "")
        if not name or not task:
            raise ValueError(f"job {entry!r} needs a name and a task")
        at = entry.get("at")
        every = entry.get("every")
        if (at is None) == (every is None):
            raise ValueError(f"job {name!r}: give either 'at' (HH:MM) or 'every' (seconds)")
        when = None
        if at is not None:
            try:
                hour, minute = (int(part) for part in str(at).split(":"))
                when = dt.time(hour, minute)
            except ValueError as exc:
                raise ValueError(f"job {name!r}: 'at' must be HH:MM, not {at!r}") from exc
        seconds = None
        if every is not None:
            try:
                seconds = int(every)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"job {name!r}: 'every' must be seconds, not {every!r}") from exc
            if seconds < 1:
                raise ValueError(f"job {name!r}: 'every' must be at least 1 second")
        return cls(name, task, when, seconds, dict(entry.get("kwargs") or {}))

    def describe(self) -> str:
        return f"daily at {self.at:%H:%M}" if self.at else f"every {self.every} s"

    def celery_schedule(self) -> Any:
        if self.at is not None:
            return crontab(hour=self.at.hour, minute=self.at.minute)
        return schedule(run_every=dt.timedelta(seconds=self.every or 0))


def configured_jobs() -> list[Scheduled]:
    return [Scheduled.from_setting(e) for e in getattr(settings, "BANKCRM_SCHEDULE", [])]


def beat_schedule() -> dict[str, dict[str, Any]]:
    """settings.BANKCRM_SCHEDULE as Celery beat's schedule (in CELERY_TIMEZONE)."""
    return {
        job.name: {"task": job.task, "schedule": job.celery_schedule(), "kwargs": job.kwargs}
        for job in configured_jobs()
    }


def next_due(job: Scheduled, after: dt.datetime) -> dt.datetime:
    """The first time strictly after ``after`` (aware, local) at which the job is due."""
    if job.every:
        return after + dt.timedelta(seconds=job.every)
    assert job.at is not None
    candidate = after.replace(hour=job.at.hour, minute=job.at.minute, second=0, microsecond=0)
    if candidate <= after:
        candidate += dt.timedelta(days=1)
    return candidate


def pick(jobs: Sequence[Scheduled], names: Sequence[str]) -> list[Scheduled]:
    if not names:
        return list(jobs)
    known = {j.name: j for j in jobs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"no job named {unknown[0]!r}; the jobs are: {', '.join(known)}")
    return [known[n] for n in names]
