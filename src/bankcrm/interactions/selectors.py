"""Reads of the timeline, always through the customer scope."""

from __future__ import annotations

from django.http import Http404

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
        .select_related("assignee")
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
