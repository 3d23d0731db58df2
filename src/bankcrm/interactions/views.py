"""Timeline actions on a customer (HTMX partials) and the staff member's own task list."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core.concurrency import ConcurrentEdit
from bankcrm.core.models import User
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_LOG_INTERACTIONS, has_role
from bankcrm.core.submissions import FIELD, submission_claim, submission_token
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import customer_get
from bankcrm.interactions import selectors, services
from bankcrm.interactions.forms import InteractionForm, TaskForm, TaskStatusForm
from bankcrm.interactions.models import Task


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


def _card(
    request: AuthenticatedRequest,
    customer: Customer,
    *,
    interaction_form: InteractionForm | None = None,
    task_form: TaskForm | None = None,
    saved: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The timeline card: its forms (empty after a save, as typed after a refusal, each with a
    fresh submission token), a confirmation or the errors, and the timeline."""
    interactions, tasks = selectors.timeline(customer=customer)
    context = timeline_card_context(request.user)
    context.update(
        customer=customer,
        interactions=interactions,
        tasks=tasks,
        errors=errors or [],
        saved=saved,
    )
    if interaction_form is not None:
        context["interaction_form"] = interaction_form
    if task_form is not None:
        context["task_form"] = task_form
    return render(request, "interactions/_timeline_card.html", context, status=status)


def timeline_card_context(user: User) -> dict[str, Any]:
    """What the timeline card's forms need when they are shown empty."""
    return {
        "interaction_form": InteractionForm(),
        "task_form": TaskForm(initial={"due_on": timezone.localdate()}),
        "interaction_token": submission_token(),
        "task_token": submission_token(),
        "can_log": has_role(user, CAN_LOG_INTERACTIONS),
    }


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
        errors = _form_errors(form)
        return _card(request, customer, interaction_form=form, errors=errors, status=400)
    with transaction.atomic():
        first = submission_claim(user=request.user, token=request.POST.get(FIELD, ""))
        if first:
            services.interaction_create(actor=request.user, customer=customer, **form.cleaned_data)
    saved = _("Interaction logged.") if first else _("Already logged: recorded once.")
    return _card(request, customer, saved=saved)


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def task_create_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _card(request, customer, task_form=form, errors=_form_errors(form), status=400)
    with transaction.atomic():
        first = submission_claim(user=request.user, token=request.POST.get(FIELD, ""))
        if first:
            services.task_create(actor=request.user, customer=customer, **form.cleaned_data)
    saved = _("Task added.") if first else _("Already added: recorded once.")
    return _card(request, customer, saved=saved)


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def task_status_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, task_id=pk)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        return _timeline(request, task.customer, status=400, errors=_form_errors(form))
    row = request.POST.get("view") == "row"  # from "My tasks": answer with the task's row
    try:
        task = services.task_set_status(actor=request.user, task=task, **form.cleaned_data)
    except ConcurrentEdit as exc:
        # The timeline shows the task as it is now; the person decides again.
        if row:
            task = selectors.task_get(user=request.user, task_id=pk)
            return _task_row(request, task, errors=[exc.message], status=409)
        return _timeline(request, task.customer, status=409, errors=[exc.message])
    if row:
        return _task_row(request, selectors.task_get(user=request.user, task_id=pk))
    return _timeline(request, task.customer)


def _task_row(
    request: AuthenticatedRequest, task: Task, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    context = {"t": task, "today": timezone.localdate(), "errors": errors or [], "can_log": True}
    return render(request, "interactions/_task_row.html", context, status=status)


@login_required
@require_safe
def my_tasks_view(request: AuthenticatedRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    show = show if show in selectors.TASK_VIEWS else "open"
    today = timezone.localdate()
    tasks = selectors.my_tasks(user=request.user, show=show, today=today)
    views = [
        ("open", _("Open")),
        ("overdue", _("Overdue")),
        ("week", _("Due within 7 days")),
        ("done", _("Done in the last 30 days")),
    ]
    return render(
        request,
        "interactions/my_tasks.html",
        {
            "tasks": tasks,
            "show": show,
            "views": views,
            "today": today,
            "can_log": has_role(request.user, CAN_LOG_INTERACTIONS),
        },
    )
