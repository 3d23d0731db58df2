"""Contact history and follow-up tasks: the customer timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bankcrm.customers.models import Customer


class InteractionKind(models.TextChoices):
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Branch visit")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat message")
    NOTE = "note", _("Note")


class Interaction(models.Model):
    # The id the source system gave the contact: the natural key imports upsert by.
    external_id = models.CharField(
        _("external id"), max_length=40, unique=True, null=True, blank=True
    )
    # Empty for a contact with a lead who is not a customer yet (the sales app links it to the
    # lead); the lead's conversion sets it, so the history moves to the new customer's timeline.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", null=True, blank=True
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer_at"),
        ]

    def __str__(self) -> str:
        return self.subject


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskSource(models.TextChoices):
    """What opened a task, when not a person typing it: the at-risk worklist shows which
    customers already have an open retention task."""

    STAFF = "", _("Staff")
    RETENTION = "retention", _("Retention worklist")


class Task(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=TaskSource.choices,
        blank=True,
        default="",
        db_default="",  # bulk writers (the demo, imports) insert rows without it
    )
    due_on = models.DateField(_("due date"))
    # The day the assignee is reminded (the sales app's daily reminder job); empty: no reminder.
    remind_on = models.DateField(_("remind on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Optimistic locking: +1 on every change, so a change made from an older copy is refused
    # (core.concurrency). The database default fills rows that bulk writers insert without it.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["customer", "due_on"], name="task_customer_due"),
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee_open"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
