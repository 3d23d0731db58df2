"""Timeline actions on a customer (HTMX partials) and the staff member's own task list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core.concurrency import ConcurrentEdit
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_LOG_INTERACTIONS, has_role
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import customer_get
from bankcrm.interactions import selectors, services
from bankcrm.interactions.forms import InteractionForm, TaskForm, TaskStatusForm


def _timeline(
    request: HttpRequest, customer: Customer, status: int = 200, errors: list[str] | None = None
) -> HttpResponse:
    interactions, tasks = selectors.timeline(customer=customer)
    return render(
        request,
        "interactions/_timeline.html",
        {
            "customer": customer,
            "interactions": interactions,
            "tasks": tasks,
            "errors": errors or [],
            "can_log": has_role(request.user, CAN_LOG_INTERACTIONS),
        },
        status=status,
    )


def _form_errors(form: InteractionForm | TaskForm | TaskStatusForm) -> list[str]:
    return [
        f"{form.fields[f].label if f in form.fields else ''}: {m}"
        for f, ms in form.errors.items()
        for m in ms
    ]


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def interaction_create_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    form = InteractionForm(request.POST)
    if not form.is_valid():
        return _timeline(request, customer, status=400, errors=_form_errors(form))
    services.interaction_create(actor=request.user, customer=customer, **form.cleaned_data)
    return _timeline(request, customer)


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def task_create_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _timeline(request, customer, status=400, errors=_form_errors(form))
    services.task_create(actor=request.user, customer=customer, **form.cleaned_data)
    return _timeline(request, customer)


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def task_status_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, task_id=pk)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        return _timeline(request, task.customer, status=400, errors=_form_errors(form))
    try:
        services.task_set_status(actor=request.user, task=task, **form.cleaned_data)
    except ConcurrentEdit as exc:
        # The timeline shows the task as it is now; the person decides again.
        return _timeline(request, task.customer, status=409, errors=[exc.message])
    return _timeline(request, task.customer)


@login_required
@require_safe
def my_tasks_view(request: AuthenticatedRequest) -> HttpResponse:
    tasks = selectors.open_tasks_for(user=request.user)
    return render(request, "interactions/my_tasks.html", {"tasks": tasks})
