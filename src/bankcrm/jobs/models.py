"""One row per task run: what it works on, who started it, where it stands, what went wrong."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    RETRYING = "retrying", _("retrying")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped")  # the same job was already running


FINISHED_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.SKIPPED})


def _task_id() -> str:
    return str(uuid.uuid4())


class JobRun(models.Model):
    """A task run. Its Celery task id is its identity: a redelivered or retried task finds its
    row again, counts the attempt, and does nothing once the row says it succeeded."""

    task_id = models.CharField(max_length=64, unique=True, default=_task_id)
    task_name = models.CharField(_("task"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    # What the task works on ("import-run:12", "analytics", "send-batch:7:3"); the lock's name.
    key = models.CharField(_("works on"), max_length=200, db_index=True)
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    retry_of = models.ForeignKey(
        "self",
        verbose_name=_("run again from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    error = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    progress = models.JSONField(_("progress"), default=dict, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["state", "-queued_at"], name="jobs_state_queued")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
