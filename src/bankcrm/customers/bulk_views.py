"""Bulk actions on the customer list, within scope and audited: export (CSV or Excel, masked
by role), a task for each selected customer, and reassigning them to another RM."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from bankcrm.core.audit import audit_record
from bankcrm.core.lists import list_state
from bankcrm.core.masking import mask_mobile
from bankcrm.core.models import AuditAction
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_EXPORT_CUSTOMERS, CAN_LOG_INTERACTIONS, CAN_REASSIGN_CUSTOMERS
from bankcrm.core.tables import FORMATS, table_bytes
from bankcrm.customers import selectors
from bankcrm.customers.lists import CUSTOMER_LIST
from bankcrm.customers.models import Customer
from bankcrm.interactions.services import task_create
from bankcrm.profile import customer_filters, customer_selection
from bankcrm.sales.services import portfolio_reassign

EXPORT_LIMIT = 50_000
BULK_LIMIT = 500


def _params(request: AuthenticatedRequest) -> QueryDict:
    """The list's query: the form's own fields, or the query it carries from the list."""
    if request.method == "POST":
        return QueryDict(request.POST.get("query", ""))
    return request.GET


def _ids(request: AuthenticatedRequest) -> list[int] | None:
    source = request.POST if request.method == "POST" else request.GET
    raw = [v for v in source.getlist("ids") if v.isdigit() and len(v) < 19]
    return [int(v) for v in raw] if raw else None


def _back(request: AuthenticatedRequest) -> HttpResponse:
    return redirect(f"{reverse('customers:list')}?{request.POST.get('query', '')}")


CELLS: dict[str, Any] = {
    "customer_no": lambda c: c.customer_no,
    "name": lambda c: c.name_zh,
    "mobile": lambda c: mask_mobile(c.mobile),  # masked for every role; the reveal is one by one
    "branch": lambda c: c.branch.display_name,
    "rm": lambda c: c.rm.display_name if c.rm else "",
    "tier": lambda c: str(c.get_tier_display()),
    "aum": lambda c: c.aum,
    "status": lambda c: str(c.get_status_display()),
    "risk": lambda c: str(c.get_risk_appetite_display()),
    "onboarded_on": lambda c: c.onboarded_on.isoformat() if c.onboarded_on else "",
}


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_EXPORT_CUSTOMERS)
def customer_export_view(request: AuthenticatedRequest) -> HttpResponse:
    """The list as shown (its columns, filters and sort), or the selected rows, as a file."""
    params = _params(request)
    fmt = (request.POST if request.method == "POST" else request.GET).get("format", "csv")
    fmt = fmt if fmt in FORMATS else "csv"
    filters = customer_filters(params)
    ids = _ids(request)
    rows = customer_selection(user=request.user, filters=filters, ids=ids, limit=EXPORT_LIMIT)
    state = list_state(spec=CUSTOMER_LIST, params=params, user=request.user, count=None)
    header = [str(c.label) for c in state.columns]
    body = table_bytes(header, ([CELLS[c.key](r) for c in state.columns] for r in rows), fmt)
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="customers.customer",
        changes={
            "list": "customers",
            "format": fmt,
            "rows": len(rows),
            "selected": ids is not None,
            "columns": [c.key for c in state.columns],
        },
        purpose="customer list export",
    )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.{fmt}"'
    return response


def _selected(request: AuthenticatedRequest) -> list[Customer]:
    ids = _ids(request)
    if not ids:
        return []
    filters = customer_filters(_params(request))
    return customer_selection(user=request.user, filters=filters, ids=ids, limit=BULK_LIMIT)


@login_required
@require_POST
@role_required(CAN_LOG_INTERACTIONS)
def bulk_task_view(request: AuthenticatedRequest) -> HttpResponse:
    """A task for each selected customer in scope (each one audited)."""
    chosen = _selected(request)
    title = request.POST.get("title", "").strip()[:200]
    try:
        due_on = dt.date.fromisoformat(request.POST.get("due_on", ""))
    except ValueError:
        due_on = None
    if not chosen or not title or due_on is None:
        messages.error(request, _("Select customers and give the task a title and a due date."))
        return _back(request)
    with transaction.atomic():
        for c in chosen:
            task_create(actor=request.user, customer=c, title=title, due_on=due_on)
    said = ngettext(
        "%(n)d task created: “%(title)s”.", "%(n)d tasks created: “%(title)s”.", len(chosen)
    )
    messages.success(request, said % {"n": len(chosen), "title": title})
    return _back(request)


@login_required
@require_POST
@role_required(CAN_REASSIGN_CUSTOMERS)
def bulk_reassign_view(request: AuthenticatedRequest) -> HttpResponse:
    """Hand the selected customers to an RM the manager may pick (each change audited, with
    the assignment history; their open tasks and opportunities follow); an RM outside their
    scope is refused."""
    rm_id = request.POST.get("rm", "")
    rm = (
        selectors.staff_visible_to(request.user).filter(pk=rm_id).first()
        if rm_id.isdigit()
        else None
    )
    if rm is None:
        raise PermissionDenied(_("Choose an RM within your scope."))
    chosen = _selected(request)
    if not chosen:
        messages.error(request, _("Select the customers to reassign."))
        return _back(request)
    # The sales app's portfolio service: each customer through customer_update (RM history,
    # audit), their open tasks and opportunities moving with them, one summary event.
    done = portfolio_reassign(actor=request.user, customers=chosen, to_rm=rm, reason="bulk")
    moved = done.customers
    said = ngettext(
        "%(n)d customer reassigned to %(rm)s.", "%(n)d customers reassigned to %(rm)s.", moved
    )
    messages.success(request, said % {"n": moved, "rm": rm.display_name})
    return _back(request)
