"""`bankcrm scheduler --once | --list`: the scheduled jobs (settings.BANKCRM_SCHEDULE) now, for
banks that drive jobs from cron; `bankcrm beat` runs them at their times."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bankcrm.jobs.models import JobRun, JobState
from bankcrm.jobs.schedule import Scheduled, configured_jobs, next_due, pick


class Command(BaseCommand):
    help = (
        "List the scheduled jobs (settings.BANKCRM_SCHEDULE), or run them now in this process "
        "with --once (for cron or systemd timers). `bankcrm beat` runs them at their times."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("jobs", nargs="*", metavar="JOB", help="only these jobs")
        parser.add_argument("--once", action="store_true", help="run the jobs now and exit")
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            jobs = pick(configured_jobs(), options["jobs"])
        except (KeyError, ValueError) as exc:
            raise CommandError(str(exc).strip("'\"")) from exc
        if options["once"]:
            failed = [job.name for job in jobs if not self._run(job)]
            if failed:
                raise CommandError(f"job(s) failed: {', '.join(failed)}")
            return
        if not options["list"]:
            raise CommandError("give --list or --once; `bankcrm beat` runs the jobs at their times")
        now = timezone.localtime()
        for job in jobs:
            when = next_due(job, now)
            self.stdout.write(
                f"{job.name:<16} {job.describe():<16} next {when:%Y-%m-%d %H:%M %Z}  {job.task}"
            )

    def _run(self, job: Scheduled) -> bool:
        from bankcrm.celery_app import app

        self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {job.name}: started")
        try:
            task = app.tasks[job.task]
        except KeyError:
            self.stdout.write(f"  no task named {job.task!r}")
            return False
        result = task.apply(kwargs=job.kwargs)  # in this process, through the job run
        run = JobRun.objects.filter(task_id=result.id).first()
        state = run.state if run is not None else JobState.FAILED
        ok = state in (JobState.SUCCEEDED, JobState.SKIPPED)
        seconds = run.duration_seconds if run is not None else None
        self.stdout.write(
            f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {job.name}: "
            f"{'done' if ok else 'FAILED'}{f' in {seconds:.1f} s' if seconds is not None else ''}"
        )
        detail = (run.error if run is not None else "") or (
            "" if ok else f"{type(result.result).__name__}: {result.result}"
        )
        if detail:
            self.stdout.write("  " + detail.replace("\n", "\n  "))
        return ok
