"""The job engine in the embedded (eager) mode: enqueue after commit, one run per task id,
retries for transient failures only, locks, failures audited, "run again"."""

from __future__ import annotations

import threading

import pytest
from celery import shared_task
from django.db import OperationalError, connection, transaction

from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.jobs.engine import JobFailed, JobTask, enqueue, job_run_again
from bankcrm.jobs.locks import job_lock, lock_is_held
from bankcrm.jobs.models import JobRun, JobState
from bankcrm.jobs.tasks import heartbeat_task

CALLS: dict[str, int] = {}


@shared_task(base=JobTask, kind="test-flaky", key="flaky:{name}")
def flaky_task(*, name: str, failures: int) -> dict[str, int]:
    """Fails with a lost database connection ``failures`` times, then works."""
    CALLS[name] = CALLS.get(name, 0) + 1
    if CALLS[name] <= failures:
        raise OperationalError("server closed the connection unexpectedly")
    return {"calls": CALLS[name]}


@shared_task(base=JobTask, kind="test-bad", key="bad:{name}")
def bad_input_task(*, name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1
    raise JobFailed(f"the file for {name} has no header row")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


@pytest.mark.django_db
def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue(heartbeat_task, tag="rolled-back")
                raise RuntimeError("the surrounding work failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not JobRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = enqueue(heartbeat_task, tag="committed")
        # Not sent (nor run) until the transaction commits.
        assert JobRun.objects.get(pk=job.pk).state == JobState.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.attempts == 1
    assert job.key == "heartbeat:committed" and job.queue == "default"
    assert job.result["tag"] == "committed" and job.worker and job.finished_at


@pytest.mark.django_db
def test_a_redelivered_task_that_already_succeeded_does_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue(flaky_task, name="once", failures=0)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and CALLS["once"] == 1
    # The broker hands the same message (same task id) to another worker.
    flaky_task.apply(kwargs=job.arguments, task_id=job.task_id)
    job.refresh_from_db()
    assert CALLS["once"] == 1 and job.attempts == 1 and job.result == {"calls": 1}


@pytest.mark.django_db
def test_transient_failures_retry_then_succeed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue(flaky_task, name="flaky", failures=2)
    job.refresh_from_db()
    assert CALLS["flaky"] == 3
    assert job.state == JobState.SUCCEEDED and job.attempts == 3 and job.error == ""


@pytest.mark.django_db
def test_transient_failures_give_up_after_the_retries(settings, django_capture_on_commit_callbacks):
    settings.BANKCRM_JOB_MAX_RETRIES = 2
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue(flaky_task, name="down", failures=99)
    job.refresh_from_db()
    assert CALLS["down"] == 3 and job.attempts == 3
    assert job.state == JobState.FAILED and "server closed the connection" in job.error


@pytest.mark.django_db
def test_bad_input_fails_at_once_with_its_reason_audited(bank, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue(bad_input_task, actor=bank.admin, name="branches.csv")
    job.refresh_from_db()
    assert CALLS["branches.csv"] == 1, "a bad input is never retried"
    assert job.state == JobState.FAILED and job.attempts == 1
    assert job.error == "the file for branches.csv has no header row"
    event = AuditEvent.objects.get(action=AuditAction.FAIL)
    assert event.object_type == "jobs.jobrun" and event.object_id == str(job.pk)
    assert event.actor == bank.admin and "no header row" in event.purpose

    # Run again: a new run of the same task and arguments, audited.
    with django_capture_on_commit_callbacks(execute=True):
        again = job_run_again(job, actor=bank.admin)
    again.refresh_from_db()
    assert again.retry_of == job and again.arguments == job.arguments
    assert again.state == JobState.FAILED and CALLS["branches.csv"] == 2
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="jobs.jobrun", object_id=str(again.pk)
    ).exists()


def _hold(name: str, held: threading.Event, release: threading.Event) -> None:
    try:
        with job_lock(name) as taken:
            assert taken
            held.set()
            release.wait(10)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_job_already_running_elsewhere_is_not_started_twice():
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=("heartbeat:busy", held, release))
    holder.start()
    try:
        assert held.wait(10)
        assert lock_is_held("heartbeat:busy") and not lock_is_held("heartbeat:other")
        result = heartbeat_task.apply(kwargs={"tag": "busy"})
        run = JobRun.objects.get(task_id=result.id)
        assert run.state == JobState.SKIPPED and "already running" in run.error
        with job_lock("heartbeat:busy") as taken:
            assert not taken
    finally:
        release.set()
        holder.join()
    assert not lock_is_held("heartbeat:busy")
    result = heartbeat_task.apply(kwargs={"tag": "busy"})
    assert JobRun.objects.get(task_id=result.id).state == JobState.SUCCEEDED


def test_locks_are_reentrant_within_one_thread(db):
    with job_lock("outer") as first:
        with job_lock("outer") as again:
            assert first and again
        assert not lock_is_held("outer")  # held by this thread, not by another
    assert not lock_is_held("outer")
