"""Import runs: one per file (or set of files) imported, with its outcome and error report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    VALIDATED = "validated", _("Validated (dry run)")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")


FINISHED = frozenset(
    {
        ImportStatus.SUCCEEDED,
        ImportStatus.VALIDATED,
        ImportStatus.REJECTED,
        ImportStatus.FAILED,
        ImportStatus.INTERRUPTED,
    }
)


class ImportRun(models.Model):
    kind = models.CharField(_("kind"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file_size = models.BigIntegerField(_("size (bytes)"), default=0)
    dry_run = models.BooleanField(_("dry run"), default=False)
    max_errors = models.PositiveIntegerField(_("errors tolerated"), default=0)
    mapping_name = models.CharField(_("mapping"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    # What the reader found: format, encoding, delimiter, columns used and ignored.
    detected = models.JSONField(_("detected"), default=dict, blank=True)
    rows_read = models.BigIntegerField(_("rows read"), default=0)
    created = models.BigIntegerField(_("created"), default=0)
    updated = models.BigIntegerField(_("updated"), default=0)
    unchanged = models.BigIntegerField(_("unchanged"), default=0)
    rejected = models.BigIntegerField(_("rejected"), default=0)
    # The first rejected rows (line, column, value, reason); the full list is the error report.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
