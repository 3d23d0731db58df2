"""The sales app's background work: the daily task reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from bankcrm.jobs.engine import JobTask, job_progress


@shared_task(base=JobTask, kind="task-reminders", key="task-reminders", busy="skip")
def task_reminders_task(day: str = "") -> dict[str, Any]:
    """Email each assignee the open tasks whose reminder falls on ``day`` (today by default),
    one message per person; the agenda shows the same tasks from that day on."""
    from bankcrm.interactions.models import Task, TaskStatus

    on = dt.date.fromisoformat(day) if day else timezone.localdate()
    rows = (
        Task.objects.filter(remind_on=on, status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS])
        .exclude(assignee__email="")
        .select_related("assignee")
        .order_by("assignee_id", "due_on")
    )
    by_person: dict[int, list[Any]] = {}
    for t in rows:
        by_person.setdefault(t.assignee_id or 0, []).append(t)
    messages = []
    for tasks in by_person.values():
        person = tasks[0].assignee
        with override(getattr(person, "language", None) or settings.LANGUAGE_CODE):
            body = "\n".join(f"- {t.due_on:%Y-%m-%d} {t.title}" for t in tasks)
            messages.append(
                (
                    _("Bank CRM: %(n)d task reminders") % {"n": len(tasks)},
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    [person.email],
                )
            )
    sent = send_mass_mail(messages, fail_silently=False) if messages else 0
    job_progress(stage="sent", done=sent, total=len(messages))
    return {
        "day": on.isoformat(),
        "people": len(messages),
        "tasks": sum(map(len, by_person.values())),
    }
