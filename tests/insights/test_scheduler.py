"""`bankcrm scheduler`: daily jobs at local times; a failing job is reported, not hidden."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bankcrm.core.schedule import Job, configured_jobs, next_due

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_next_due_is_today_before_the_time_and_tomorrow_after_it():
    job = Job(name="analytics", at=dt.time(2, 30), command=("analytics", "run"))
    before = dt.datetime(2026, 3, 1, 1, 0, tzinfo=SHANGHAI)
    assert next_due(job, before) == dt.datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)
    at = dt.datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)
    assert next_due(job, at) == dt.datetime(2026, 3, 2, 2, 30, tzinfo=SHANGHAI)
    month_end = dt.datetime(2026, 2, 28, 23, 0, tzinfo=SHANGHAI)
    assert next_due(job, month_end) == dt.datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)


def test_bad_times_and_unknown_jobs_are_named(settings):
    settings.BANKCRM_SCHEDULE = [{"name": "x", "at": "25:99", "command": ["check"]}]
    with pytest.raises(CommandError, match="'at' must be HH:MM"):
        call_command("scheduler", "--list")
    settings.BANKCRM_SCHEDULE = [{"name": "x", "at": "01:00", "command": ["check"]}]
    with pytest.raises(CommandError, match="no job named 'y'"):
        call_command("scheduler", "y", "--list")


def test_the_analytics_run_and_the_audit_check_are_scheduled_by_default():
    jobs = configured_jobs()
    assert [j.command[:2] for j in jobs] == [("analytics", "run"), ("audit", "verify")]
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "analytics" in out.getvalue() and "next" in out.getvalue()


@pytest.mark.django_db
def test_once_runs_the_jobs_and_fails_loudly_when_one_fails():
    out = StringIO()
    # An empty bank has no customers to score: the run fails, and so does the command.
    with pytest.raises(CommandError, match="job\\(s\\) failed: analytics"):
        call_command("scheduler", "--once", stdout=out)
    assert "analytics: FAILED" in out.getvalue() and "no customers to score" in out.getvalue()


@pytest.mark.django_db
def test_once_reports_success(settings):
    settings.BANKCRM_SCHEDULE = [{"name": "check", "at": "03:00", "command": ["check"]}]
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "check: done" in out.getvalue()
