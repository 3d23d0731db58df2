"""Writes to the customer timeline: interactions logged and tasks created or completed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.core.audit import audit_record, diff, snapshot
from bankcrm.core.concurrency import check_version
from bankcrm.core.models import AuditAction, User
from bankcrm.core.permissions import require_role
from bankcrm.core.roles import CAN_LOG_INTERACTIONS
from bankcrm.customers.models import Customer
from bankcrm.interactions.models import Interaction, Task, TaskStatus


@transaction.atomic
def interaction_create(
    *,
    actor: User,
    customer: Customer,
    kind: str,
    subject: str,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    require_role(actor, CAN_LOG_INTERACTIONS, _("Your role may not add to a customer's timeline."))
    interaction = Interaction(
        customer=customer,
        staff=actor,
        kind=kind,
        subject=subject.strip(),
        notes=notes.strip(),
        occurred_at=occurred_at or timezone.now(),
    )
    interaction.full_clean()
    interaction.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=interaction,
        customer_id=customer.pk,
        changes=diff({}, snapshot(interaction, ["kind", "subject", "occurred_at"])),
    )
    return interaction


@transaction.atomic
def task_create(
    *,
    actor: User,
    customer: Customer,
    title: str,
    due_on: dt.date,
    notes: str = "",
    assignee: Any = None,
    source: str = "",
    remind_on: dt.date | None = None,
) -> Task:
    require_role(actor, CAN_LOG_INTERACTIONS, _("Your role may not add to a customer's timeline."))
    task = Task(
        customer=customer,
        assignee=assignee or customer.rm or actor,
        created_by=actor,
        title=title.strip(),
        notes=notes.strip(),
        due_on=due_on,
        remind_on=remind_on,
        source=source,
    )
    task.full_clean()
    task.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=task,
        customer_id=customer.pk,
        changes=diff({}, snapshot(task, ["title", "due_on", "assignee", "status"])),
    )
    return task


@transaction.atomic
def task_set_status(*, actor: User, task: Task, status: str, version: int | None = None) -> Task:
    """Set a task's status; every call is recorded, even one that sets the same status again.

    `version`: the version the person saw; a stale one raises ConcurrentEdit. Without it
    the status is set whatever happened in between.
    """
    require_role(actor, CAN_LOG_INTERACTIONS, _("Your role may not add to a customer's timeline."))
    # Concurrent writers queue on the row lock, so each change gets its own version and audit.
    locked = Task.objects.select_for_update().get(pk=task.pk)
    check_version(obj=locked, version=version)
    before = snapshot(locked, ["status", "completed_at", "completed_by"])
    locked.status = status
    done = status == TaskStatus.DONE
    locked.completed_at = timezone.now() if done else None
    locked.completed_by = actor if done else None
    locked.version += 1
    locked.full_clean()
    locked.save(update_fields=["status", "completed_at", "completed_by", "version"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        customer_id=locked.customer_id,
        changes=diff(before, snapshot(locked, ["status", "completed_at", "completed_by"])),
    )
    return locked
