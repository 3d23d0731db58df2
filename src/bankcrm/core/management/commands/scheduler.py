"""`bankcrm scheduler`: run the daily jobs of settings.BANKCRM_SCHEDULE (e.g. analytics)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bankcrm.core.schedule import configured_jobs, next_due, pick, run_job


class Command(BaseCommand):
    help = (
        "Run the daily jobs (settings.BANKCRM_SCHEDULE) at their local times, for ever; "
        "--once runs them now and exits (for cron or systemd timers), --list shows them."
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
        now = timezone.localtime()
        if options["list"]:
            for job in jobs:
                when = next_due(job, now)
                self.stdout.write(
                    f"{job.name:<12} daily at {job.at:%H:%M}  next {when:%Y-%m-%d %H:%M %Z}  "
                    f"bankcrm {' '.join(job.command)}"
                )
            return
        if options["once"]:
            failed = [job.name for job in jobs if not self._run(job)]
            if failed:
                raise CommandError(f"job(s) failed: {', '.join(failed)}")
            return
        self.stdout.write(f"scheduler started with {len(jobs)} job(s)")
        schedule = {job.name: next_due(job, now) for job in jobs}
        while True:
            job = min(jobs, key=lambda j: schedule[j.name])
            wait = (schedule[job.name] - timezone.localtime()).total_seconds()
            if wait > 0:
                time.sleep(min(wait, 60))
                continue
            self._run(job)
            schedule[job.name] = next_due(job, timezone.localtime())

    def _run(self, job: Any) -> bool:
        self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {job.name}: started")
        outcome = run_job(job)
        state = "done" if outcome.ok else "FAILED"
        self.stdout.write(
            f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {job.name}: {state} "
            f"in {outcome.seconds:.1f} s"
        )
        if outcome.output:
            self.stdout.write("  " + outcome.output.replace("\n", "\n  "))
        return outcome.ok
