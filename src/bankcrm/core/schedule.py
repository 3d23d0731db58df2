"""Daily jobs for `bankcrm scheduler`: what runs when, and running one."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command


@dataclass(frozen=True)
class Job:
    name: str
    at: dt.time  # local time of day
    command: tuple[str, ...]

    @classmethod
    def from_setting(cls, entry: dict[str, Any]) -> Job:
        name = str(entry.get("name") or "")
        at = str(entry.get("at") or "")
        try:
            hour, minute = (int(part) for part in at.split(":"))
            when = dt.time(hour, minute)
        except ValueError as exc:
            raise ValueError(f"job {name!r}: 'at' must be HH:MM, not {at!r}") from exc
        command = tuple(str(a) for a in entry.get("command") or ())
        if not name or not command:
            raise ValueError(f"job {entry!r} needs a name and a command")
        return cls(name=name, at=when, command=command)


def configured_jobs() -> list[Job]:
    return [Job.from_setting(e) for e in getattr(settings, "BANKCRM_SCHEDULE", [])]


def next_due(job: Job, after: dt.datetime) -> dt.datetime:
    """The first time strictly after ``after`` (aware) at which the job is due."""
    local = after.astimezone(dt.timezone(after.utcoffset() or dt.timedelta(0)))
    candidate = local.replace(hour=job.at.hour, minute=job.at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


@dataclass
class Outcome:
    job: str
    ok: bool
    seconds: float
    output: str


def run_job(job: Job) -> Outcome:
    """Run a job's management command; a failure is reported, never raised."""
    out = io.StringIO()
    start = time.perf_counter()
    try:
        call_command(*job.command, stdout=out, stderr=out)
        ok = True
    except Exception as exc:  # noqa: BLE001 (a scheduler reports and carries on)
        out.write(f"{type(exc).__name__}: {exc}")
        ok = False
    return Outcome(job.name, ok, time.perf_counter() - start, out.getvalue().strip())


def pick(jobs: Sequence[Job], names: Sequence[str]) -> list[Job]:
    if not names:
        return list(jobs)
    known = {j.name: j for j in jobs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"no job named {unknown[0]!r}; the jobs are: {', '.join(known)}")
    return [known[n] for n in names]
