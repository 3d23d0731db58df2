"""Compliance pages: the audit explorer with the chain's state, exports, and the per-customer
personal-information access report ("who looked at this customer, when, why")."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.core import chain, csvfile
from bankcrm.core.audit import audit_record
from bankcrm.core.audit_export import audit_export
from bankcrm.core.models import AuditAction, User
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_VIEW_AUDIT
from bankcrm.core.selectors import audit_event_list, chain_last_check, customer_access_list
from bankcrm.customers.selectors import customer_by_number, customer_get

# A customer filter that names no one: the trail shows nothing rather than everything.
NO_ONE = -1


def _customer_filter(user: User, value: str) -> int | None:
    """The customer id a filter names: a customer number (or a merged one), or the internal
    id; NO_ONE when it names no customer, None when the filter is empty."""
    value = value.strip()
    if not value:
        return None
    found = customer_by_number(user=user, number=value)
    if found is not None:
        return found.pk
    if value.isdigit() and len(value) < 19:
        return int(value)
    return NO_ONE


def _filters(f: QueryDict, user: User) -> dict[str, Any]:
    out: dict[str, Any] = {
        "actor": str(f.get("actor", "")).strip() or None,
        "action": f.get("action") or None,
        "customer": _customer_filter(user, str(f.get("customer", ""))),
    }
    for key in ("since", "until"):
        out[key] = None
        with contextlib.suppress(ValueError):
            out[key] = dt.date.fromisoformat(str(f.get(key, "")))
    return out


@login_required
@require_safe
@role_required(CAN_VIEW_AUDIT)
def audit_view(request: AuthenticatedRequest) -> HttpResponse:
    f = request.GET
    filters = _filters(f, request.user)
    page = Paginator(audit_event_list(**filters), 50).get_page(f.get("page"))
    query = f.copy()
    query.pop("page", None)
    return render(
        request,
        "access/audit.html",
        {
            "page": page,
            "actions": AuditAction.choices,
            "f": f,
            "query": query.urlencode(),
            "check": chain_last_check(),
            "no_customer": filters["customer"] == NO_ONE,
        },
    )


@login_required
@require_POST
@role_required(CAN_VIEW_AUDIT)
def audit_verify_view(request: AuthenticatedRequest) -> HttpResponse:
    """Chain what is new, walk the whole chain and keep the result."""
    chain.chain_seal()
    result = chain.chain_verify()
    chain.verification_record(result=result, actor=request.user)
    if result.intact:
        messages.success(
            request,
            _("The audit chain is intact: %(n)d events checked.") % {"n": result.checked},
        )
    else:
        messages.error(
            request,
            _("The audit chain is broken at position %(seq)s: %(reason)s")
            % {"seq": result.broken_seq, "reason": result.reason},
        )
    return redirect("access:audit")


@login_required
@require_safe
@role_required(CAN_VIEW_AUDIT)
def audit_export_view(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered events as CSV, with their chain columns (the export is audited)."""
    filters = _filters(request.GET, request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the UTF-8
    audit_export(
        response,  # type: ignore[arg-type]
        fmt="csv",
        actor=request.user,
        by=filters.pop("actor"),
        **filters,
    )
    return response


@login_required
@require_safe
@role_required(CAN_VIEW_AUDIT)
def customer_access_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who viewed, revealed or exported this customer's data: the PIPL access report."""
    customer = customer_get(user=request.user, customer_id=pk)
    events = customer_access_list(customer_id=customer.pk)
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=customer,
        customer_id=customer.pk,
        purpose="personal information access report",
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="access-{customer.customer_no}.csv"'
        )
        response.write("\ufeff")
        out = csvfile.writer(response)
        out.writerow([_("When"), _("Staff"), _("Action"), _("Purpose"), _("From"), _("Channel")])
        for e in events.iterator():
            out.writerow(
                [
                    timezone.localtime(e.at).isoformat(timespec="seconds"),
                    e.actor_username,
                    e.get_action_display(),
                    e.purpose,
                    e.ip_address or "",
                    e.channel,
                ]
            )
        return response
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    by_staff = (
        events.order_by().values("actor_username").distinct().count() if page.paginator.count else 0
    )
    return render(
        request,
        "access/customer_access.html",
        {"customer": customer, "page": page, "staff_count": by_staff},
    )
