"""Data stewardship pages: duplicate customers with their evidence, and the merge."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from bankcrm.banking.models import Account
from bankcrm.core.audit import audit_record
from bankcrm.core.masking import mask_mobile, mask_resident_id
from bankcrm.core.models import AuditAction
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_MERGE_CUSTOMERS, CAN_VIEW_DUPLICATES, has_role
from bankcrm.customers.merging import (
    Candidate,
    MergeRefused,
    customer_merge,
    duplicate_candidates,
    duplicate_dismiss,
)
from bankcrm.customers.models import Customer


def _shown(candidate: Candidate) -> list[str]:
    """The evidence as staff see it: identity numbers and mobiles masked."""
    out = []
    for e in candidate.evidence:
        value = e.value
        if e.rule == "resident_id":
            value = mask_resident_id(value)
        elif e.rule in ("name_mobile", "similar_name_mobile"):
            head, _sep, mobile = value.rpartition(" · ")
            value = f"{head} · {mask_mobile(mobile)}" if head else mask_mobile(value)
        out.append(f"{e.label}: {value}")
    return out


@login_required
@require_safe
@role_required(CAN_VIEW_DUPLICATES)
def duplicate_list_view(request: AuthenticatedRequest) -> HttpResponse:
    candidates = duplicate_candidates(limit=200)
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="customers.duplicates",
        changes={"pairs": len(candidates)},
        purpose="data stewardship",
    )
    ids = {x.pk for c in candidates for x in (c.first, c.second)}
    accounts = dict(
        Account.objects.filter(customer_id__in=ids)
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    rows: list[dict[str, Any]] = [
        {
            "c": c,
            "evidence": _shown(c),
            "people": [
                {
                    "customer": x,
                    "id": mask_resident_id(x.id_number),
                    "mobile": mask_mobile(x.mobile),
                    "accounts": accounts.get(x.pk, 0),
                }
                for x in (c.first, c.second)
            ],
        }
        for c in candidates
    ]
    return render(
        request,
        "customers/duplicates.html",
        {"rows": rows, "can_merge": has_role(request.user, CAN_MERGE_CUSTOMERS)},
    )


@login_required
@require_POST
@role_required(CAN_MERGE_CUSTOMERS)
def merge_view(request: AuthenticatedRequest) -> HttpResponse:
    try:
        survivor = Customer.objects.get(pk=int(request.POST.get("survivor", "")))
        merged = Customer.objects.get(pk=int(request.POST.get("merged", "")))
    except (ValueError, Customer.DoesNotExist):
        raise Http404(_("No such customer.")) from None
    try:
        result = customer_merge(
            survivor=survivor,
            merged=merged,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except MergeRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:duplicates")
    messages.success(
        request,
        _("%(merged)s was merged into %(survivor)s; its number is kept as an alias.")
        % {"merged": result.merged_no, "survivor": result.survivor.customer_no},
    )
    return redirect(result.survivor.get_absolute_url())


@login_required
@require_POST
@role_required(CAN_MERGE_CUSTOMERS)
def dismiss_view(request: AuthenticatedRequest) -> HttpResponse:
    try:
        a = Customer.objects.get(pk=int(request.POST.get("first", "")))
        b = Customer.objects.get(pk=int(request.POST.get("second", "")))
    except (ValueError, Customer.DoesNotExist):
        raise Http404(_("No such customer.")) from None
    try:
        duplicate_dismiss(a=a, b=b, actor=request.user, reason=request.POST.get("reason", ""))
    except MergeRefused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(a)s and %(b)s are recorded as different people.")
            % {"a": a.customer_no, "b": b.customer_no},
        )
    return redirect("customers:duplicates")
