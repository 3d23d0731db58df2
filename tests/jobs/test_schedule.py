"""Scheduled jobs: beat's schedule from settings, `bankcrm scheduler --list | --once`."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.core.management.base import CommandError

from bankcrm.jobs.models import JobRun, JobState
from bankcrm.jobs.schedule import Scheduled, beat_schedule, configured_jobs, next_due

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_next_due_is_today_before_the_time_and_tomorrow_after_it():
    job = Scheduled(name="analytics", task="t", at=dt.time(2, 30))
    before = dt.datetime(2026, 3, 1, 1, 0, tzinfo=SHANGHAI)
    assert next_due(job, before) == dt.datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)
    at = dt.datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)
    assert next_due(job, at) == dt.datetime(2026, 3, 2, 2, 30, tzinfo=SHANGHAI)
    month_end = dt.datetime(2026, 2, 28, 23, 0, tzinfo=SHANGHAI)
    assert next_due(job, month_end) == dt.datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)
    every = Scheduled(name="beat", task="t", every=90)
    assert next_due(every, at) == at + dt.timedelta(seconds=90)


def test_bad_entries_and_unknown_jobs_are_named(settings):
    settings.BANKCRM_SCHEDULE = [{"name": "x", "at": "25:99", "task": "t"}]
    with pytest.raises(CommandError, match="'at' must be HH:MM"):
        call_command("scheduler", "--list")
    settings.BANKCRM_SCHEDULE = [{"name": "x", "task": "t"}]
    with pytest.raises(CommandError, match="either 'at'"):
        call_command("scheduler", "--list")
    settings.BANKCRM_SCHEDULE = [{"name": "x", "at": "01:00", "task": "t"}]
    with pytest.raises(CommandError, match="no job named 'y'"):
        call_command("scheduler", "y", "--list")
    with pytest.raises(CommandError, match="--list or --once"):
        call_command("scheduler")


def test_the_nightly_jobs_are_scheduled_by_default_in_the_banks_time_zone(settings):
    names = [j.name for j in configured_jobs()]
    assert names[:4] == ["analytics", "audit-verify", "audit-retention", "jobs-retention"]
    beat = beat_schedule()
    analytics = beat["analytics"]
    assert analytics["task"] == "bankcrm.insights.tasks.analytics_run_task"
    assert isinstance(analytics["schedule"], crontab)
    assert analytics["schedule"].hour == {2} and analytics["schedule"].minute == {30}
    assert beat["audit-verify"]["schedule"].hour == {3}
    from bankcrm.celery_app import app

    assert app.conf.timezone == settings.TIME_ZONE == "Asia/Shanghai"
    for entry in beat.values():  # every scheduled task exists
        assert entry["task"] in app.tasks
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "analytics" in out.getvalue() and "daily at 02:30" in out.getvalue()


@pytest.mark.django_db
def test_once_runs_the_jobs_as_job_runs_and_fails_loudly_when_one_fails():
    out = StringIO()
    # An empty bank has no customers to score: the run fails, and so does the command.
    with pytest.raises(CommandError, match="job\\(s\\) failed: analytics"):
        call_command("scheduler", "analytics", "audit-verify", "--once", stdout=out)
    text = out.getvalue()
    assert "analytics: FAILED" in text and "no customers to score" in text
    assert "audit-verify: done" in text
    runs = {r.kind: r for r in JobRun.objects.all()}
    assert runs["analytics"].state == JobState.FAILED and runs["analytics"].attempts == 1
    assert "no customers to score" in runs["analytics"].error
    assert runs["audit-verify"].state == JobState.SUCCEEDED
    assert runs["audit-verify"].result["checked"] >= 0


@pytest.mark.django_db
def test_extra_schedules_come_from_settings(settings):
    settings.BANKCRM_SCHEDULE = [
        {
            "name": "hb",
            "every": 5,
            "task": "bankcrm.jobs.tasks.heartbeat_task",
            "kwargs": {"tag": "x"},
        }
    ]
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "hb: done" in out.getvalue()
    run = JobRun.objects.get()
    assert run.key == "heartbeat:x" and run.result["tag"] == "x"
