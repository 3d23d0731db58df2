"""Reads of the timeline, always through the customer scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from bankcrm.core.models import User
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import customers_visible_to
from bankcrm.interactions.models import Interaction, Task, TaskStatus


def timeline(*, customer: Customer, limit: int = 30) -> tuple[list[Interaction], list[Task]]:
    interactions = list(
        Interaction.objects.filter(customer=customer).select_related("staff")[:limit]
    )
    tasks = list(
        Task.objects.filter(customer=customer)
        .select_related("assignee", "completed_by")
        .order_by("status", "due_on")[:limit]
    )
    return interactions, tasks


def task_get(*, user: User, task_id: int) -> Task:
    try:
        return Task.objects.select_related("customer").get(
            pk=task_id, customer__in=customers_visible_to(user)
        )
    except Task.DoesNotExist:
        raise Http404("No such task") from None


TASK_VIEWS = ("open", "overdue", "week", "done")


def my_tasks(*, user: User, show: str, today: dt.date, limit: int = 200) -> list[Task]:
    """The user's tasks: open (default), overdue, due within 7 days, or done in the last 30
    days (whoever completed them), within scope."""
    qs = Task.objects.filter(assignee_id=user.pk, customer__in=customers_visible_to(user))
    open_q = Q(status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS])
    if show == "overdue":
        qs = qs.filter(open_q, due_on__lt=today)
    elif show == "week":
        qs = qs.filter(open_q, due_on__lte=today + dt.timedelta(days=7))
    elif show == "done":
        since = timezone.now() - dt.timedelta(days=30)
        qs = qs.filter(status=TaskStatus.DONE, completed_at__gte=since)
    else:
        qs = qs.filter(open_q)
    order = ("-completed_at", "-id") if show == "done" else ("due_on", "id")
    return list(qs.select_related("customer", "completed_by").order_by(*order)[:limit])


def open_tasks_for(*, user: User, limit: int = 200) -> list[Task]:
    return list(
        Task.objects.filter(
            assignee_id=user.pk,
            status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS],
            customer__in=customers_visible_to(user),
        )
        .select_related("customer")
        .order_by("due_on", "id")[:limit]
    )
