"""Background work: ``enqueue`` (after the surrounding transaction commits) and ``JobTask``, the
base of every app's tasks.

A task declares what it works on (``key``, formatted from its arguments); its run is a
``JobRun`` row found again by the Celery task id, so a task that is retried or redelivered
after a worker died counts the attempt and, once a run has succeeded, does nothing more. The
key is also a lock (``jobs.locks``): the same work never runs twice at once. Transient failures
(the database or the broker unreachable) retry with a growing delay; any other error fails the
run at once with its reason, audited.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
from collections.abc import Callable
from typing import Any, ClassVar

import kombu.exceptions
from celery import Task
from celery.exceptions import MaxRetriesExceededError, Retry
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.jobs.locks import job_lock
from bankcrm.jobs.models import JobRun, JobState

logger = logging.getLogger(__name__)

# Failures worth another try: the database or the broker went away for a moment.
TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    ConnectionError,
    TimeoutError,
)
BUSY_RETRY_SECONDS = 30


class JobFailed(Exception):
    """A task's work cannot be done (bad input, a broken audit chain): fail now, no retry."""


def backoff_seconds(retries: int) -> int:
    """5 s, 10 s, 20 s … up to 10 minutes, with up to 20% jitter."""
    base = min(600, 5 * 2**retries)
    return base + random.randint(0, base // 5)


class JobTask(Task):
    """The base of the project's tasks: see the module docstring."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # The job's kind (its label on the Jobs page) and what it works on, from its arguments.
    kind: ClassVar[str] = ""
    key: ClassVar[str] = ""
    # When the same key is already running: "retry" later (work that must happen, e.g. a
    # redelivered import) or "skip" (a schedule that fired while the last run still runs).
    busy: ClassVar[str] = "retry"

    def job_key(self, kwargs: dict[str, Any]) -> str:
        return (self.key or self.kind or self.name).format(**kwargs)

    def job_kind(self) -> str:
        return self.kind or self.name.rsplit(".", 1)[-1]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The lock first: only the attempt that holds it touches the run's row, so a second
        # delivery while the first attempt still runs (or its dead session still holds the
        # lock) neither counts nor overwrites anything.
        with contextlib.ExitStack() as held:
            try:
                taken = held.enter_context(job_lock(self.job_key(kwargs)))
                job = _job_begin(self, kwargs) if taken else None
            except TRANSIENT as exc:
                _reset_connection()
                raise self._again(exc) from exc
            if not taken:
                return self._busy(kwargs)
            if job is None:  # this run has already succeeded: a redelivery does nothing
                return None
            return self._execute(job, args, kwargs)

    def _execute(self, job: JobRun, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            with _current_job(job):
                result = self.run(*args, **kwargs)
        except Retry:
            raise
        except TRANSIENT as exc:
            _reset_connection()
            return self._retry_or_fail(job, exc)
        except BaseException as exc:
            _job_failed(job, exc)
            raise
        _job_end(job, JobState.SUCCEEDED, result=result)
        return result

    def _again(self, exc: BaseException) -> Retry:
        """Another try later (raises the error itself once the tries are used up)."""
        return self.retry(
            exc=exc,
            countdown=backoff_seconds(self.request.retries),
            max_retries=int(settings.BANKCRM_JOB_MAX_RETRIES),
        )

    def _busy(self, kwargs: dict[str, Any]) -> None:
        if self.busy == "skip":
            job = _job_row(self, kwargs)
            if job.pk is None:
                job.save()
            _job_end(
                job,
                JobState.SKIPPED,
                error=_("The same job was already running; this one did nothing."),
            )
            return None
        # Work that must happen, while the same work runs elsewhere (or a dead worker's session
        # still holds the lock): try later; once that has succeeded, the later try finds the
        # row done and does nothing.
        # 2, 4, 8 … seconds: a dead worker's session is usually gone within the first.
        wait = min(BUSY_RETRY_SECONDS, 2 ** (self.request.retries + 1))
        raise self.retry(countdown=wait, max_retries=None)

    def _retry_or_fail(self, job: JobRun, exc: BaseException) -> Any:
        try:
            with contextlib.suppress(*TRANSIENT):
                _job_state(job, JobState.RETRYING, error=_plain(exc))
            raise self._again(exc)
        except (MaxRetriesExceededError, *TRANSIENT):
            with contextlib.suppress(*TRANSIENT):
                _job_failed(job, exc)
            raise exc from None


# --- the run's row ----------------------------------------------------------------------------

_CURRENT: list[JobRun] = []


@contextlib.contextmanager
def _current_job(job: JobRun) -> Any:
    _CURRENT.append(job)
    try:
        yield
    finally:
        _CURRENT.pop()


def current_job() -> JobRun | None:
    """The job run this code executes in, if any (for progress)."""
    return _CURRENT[-1] if _CURRENT else None


def job_progress(**progress: Any) -> None:
    """Record the running job's progress (shown live on the Jobs page)."""
    job = current_job()
    if job is not None and not connection.in_atomic_block:
        JobRun.objects.filter(pk=job.pk).update(progress=progress)


def _job_row(task: JobTask, kwargs: dict[str, Any]) -> JobRun:
    """The run of this task id (or, for a scheduled task, a new unsaved one)."""
    task_id = task.request.id
    job = JobRun.objects.filter(task_id=task_id).first() if task_id else None
    if job is None:
        job = JobRun(
            task_name=task.name,
            kind=task.job_kind(),
            key=task.job_key(kwargs),
            queue=(task.request.delivery_info or {}).get("routing_key", "") or queue_of(task),
            arguments=kwargs,
        )
        if task_id:
            job.task_id = task_id
    return job


def _job_begin(task: JobTask, kwargs: dict[str, Any]) -> JobRun | None:
    """Count this attempt on the run's row (the caller holds the run's lock); None when the
    run has already succeeded."""
    job = _job_row(task, kwargs)
    if job.state == JobState.SUCCEEDED:
        logger.info("job %s (%s) already succeeded: nothing to do", job.pk, job.key)
        return None
    job.state = JobState.RUNNING
    job.started_at = timezone.now()
    job.finished_at = None
    job.attempts += 1
    job.worker = task.request.hostname or socket.gethostname()
    job.save()
    return job


def _job_state(job: JobRun, state: str, *, error: str = "") -> None:
    job.state = state
    job.error = error
    JobRun.objects.filter(pk=job.pk).update(state=state, error=error)


def _job_end(job: JobRun, state: str, *, result: Any = None, error: str = "") -> None:
    job.state = state
    job.finished_at = timezone.now()
    job.error = error
    job.result = result if isinstance(result, dict) else ({"value": result} if result else {})
    JobRun.objects.filter(pk=job.pk).update(
        state=state, finished_at=job.finished_at, error=error, result=job.result
    )


def _plain(exc: BaseException) -> str:
    """The error in plain words: its message, and its type only when there is no message."""
    text = str(exc).strip()
    return (text or type(exc).__name__)[:2000]


def _job_failed(job: JobRun, exc: BaseException) -> None:
    from bankcrm.core.audit import audit_record
    from bankcrm.core.models import AuditAction

    _reset_connection()
    _job_end(job, JobState.FAILED, error=_plain(exc))
    logger.warning("job %s (%s) failed: %s", job.pk, job.key, type(exc).__name__)
    audit_record(
        actor=job.created_by,
        action=AuditAction.FAIL,
        obj=job,
        changes={"task": job.task_name, "key": job.key, "attempts": job.attempts},
        purpose=_plain(exc)[:255],
    )


def _reset_connection() -> None:
    """After a database error outside a transaction, start the next query on a new session."""
    if not connection.in_atomic_block:
        with contextlib.suppress(DatabaseError):
            connection.close()


# --- enqueueing -------------------------------------------------------------------------------


def enqueue(
    task: JobTask, *, actor: Any = None, retry_of: JobRun | None = None, **kwargs: Any
) -> JobRun:
    """Record a run of ``task`` with ``kwargs`` and send it once the surrounding transaction
    commits (a rolled-back transaction sends nothing). Without a broker the task then runs in
    this process."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    job = JobRun.objects.create(
        task_name=task.name,
        kind=task.job_kind(),
        key=task.job_key(kwargs),
        queue=queue_of(task),
        arguments=kwargs,
        created_by=actor if is_user else None,
        retry_of=retry_of,
    )
    transaction.on_commit(_sender(task, job))
    return job


def queue_of(task: JobTask) -> str:
    """The queue CELERY_TASK_ROUTES sends ``task`` to."""
    route = task.app.amqp.router.route({}, task.name)
    queue = route.get("queue")
    return str(getattr(queue, "name", queue) or settings.CELERY_TASK_DEFAULT_QUEUE)


def _sender(task: JobTask, job: JobRun) -> Callable[[], None]:
    def send() -> None:
        try:
            task.apply_async(kwargs=job.arguments, task_id=job.task_id, queue=job.queue)
        except kombu.exceptions.OperationalError as exc:
            # The broker cannot be reached: the run says so, and "run again" sends it later.
            logger.error("job %s could not be queued: %s", job.pk, exc)
            _job_end(job, JobState.FAILED, error=_("The job queue could not be reached: %s") % exc)

    return send


def job_run_again(job: JobRun, *, actor: Any) -> JobRun:
    """A new run of a failed job's task with the same arguments (audited)."""
    from celery import current_app

    from bankcrm.core.audit import audit_record
    from bankcrm.core.models import AuditAction

    task = current_app.tasks[job.task_name]
    with transaction.atomic():
        again = enqueue(task, actor=actor, retry_of=job, **job.arguments)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=again,
            changes={"run_again_of": job.pk, "task": job.task_name, "key": job.key},
        )
    return again
