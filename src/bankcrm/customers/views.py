"""Customer pages: search, the 360 view, edit, reveal. Thin: parse → selector/service → render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bankcrm.banking import selectors as banking_selectors
from bankcrm.banking import services as banking_services
from bankcrm.banking.models import Channel
from bankcrm.core.concurrency import ConcurrentEdit
from bankcrm.core.lists import list_state
from bankcrm.core.pagination import Page
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.pii import mask_field
from bankcrm.core.roles import (
    CAN_EDIT_CUSTOMERS,
    CAN_EXPORT_CUSTOMERS,
    CAN_LOG_INTERACTIONS,
    CAN_REASSIGN_CUSTOMERS,
    CAN_REVEAL_PII,
    CAN_WITHDRAW_CONSENT,
    has_role,
)
from bankcrm.customers import selectors, services
from bankcrm.customers.forms import ConsentForm, CustomerForm, RevealForm
from bankcrm.customers.lists import CUSTOMER_LIST
from bankcrm.customers.models import (
    ConsentPurpose,
    ContactChannel,
    Customer,
    CustomerStatus,
    RiskLevel,
    WealthTier,
)
from bankcrm.insights.labels import CHURN_BANDS, LIFE_STAGES, SEGMENTS, STAGES
from bankcrm.interactions.views import timeline_card_context
from bankcrm.loyalty.views import card_context as loyalty_card_context
from bankcrm.profile import (
    FilterError,
    IdentifierSearchRefused,
    IdentifierSearchThrottled,
    customer_count,
    customer_filters,
    customer_profile,
    customer_search,
)
from bankcrm.web.charts import line_chart, pie_chart

MAX_RM_CHOICES = 200


@login_required
@require_safe
def customer_list_view(request: AuthenticatedRequest) -> HttpResponse:
    try:
        filters = customer_filters(request.GET)
    except FilterError as bad:
        return render(request, "400.html", {"message": str(bad)}, status=400)
    cursor = request.GET.get("cursor") or None
    # A refused or throttled search answers 200 with a notice, so HTMX shows it in place; it
    # shows no count either (the same answer whether or not the customer exists).
    notice = ""
    try:
        page = customer_search(
            user=request.user,
            filters=filters,
            cursor=cursor,
            reason=request.GET.get("reason", "")[:200],
        )
    except IdentifierSearchRefused as refused:
        page, notice = Page(items=[], next_cursor=None), str(refused)
    except IdentifierSearchThrottled as throttled:
        page = Page(items=[], next_cursor=None)
        notice = _("Too many searches by mobile or ID number: try again in %(n)d seconds.") % {
            "n": throttled.retry_after
        }
    count = None if cursor or notice else customer_count(user=request.user, filters=filters)
    state = list_state(spec=CUSTOMER_LIST, params=request.GET, user=request.user, count=count)
    query = request.GET.copy()
    query.pop("cursor", None)
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "search_notice": notice,
        "state": state,
        "chosen_columns": bool(request.GET.getlist("cols")),
        **_bulk_context(request),
    }
    htmx = getattr(request, "htmx", False)
    if htmx and cursor:
        return render(request, "customers/_rows.html", context)
    if htmx:
        return render(request, "customers/_results.html", context)
    context.update(_filter_choices(request, filters))
    return render(request, "customers/list.html", context)


def _bulk_context(request: AuthenticatedRequest) -> dict[str, Any]:
    """What the list's bulk bar offers this user."""
    user = request.user
    can = {
        "can_bulk_task": has_role(user, CAN_LOG_INTERACTIONS),
        "can_export": has_role(user, CAN_EXPORT_CUSTOMERS),
        "can_reassign": has_role(user, CAN_REASSIGN_CUSTOMERS),
    }
    rms = []
    if can["can_reassign"]:
        rms = list(selectors.staff_visible_to(user).order_by("username")[:MAX_RM_CHOICES])
    return {
        **can,
        "selectable": any(can.values()),
        "reassign_rms": rms,
        "today": timezone.localdate(),
    }


def _filter_choices(request: AuthenticatedRequest, filters: Any) -> dict[str, Any]:
    # A bank-wide scope has thousands of RMs: list them once a branch narrows the choice.
    rm_qs = selectors.staff_visible_to(request.user).select_related(None)
    if filters.branch:
        rm_qs = rm_qs.filter(branch_id=filters.branch)
    rms = list(rm_qs.order_by("username")[: MAX_RM_CHOICES + 1])
    too_many = len(rms) > MAX_RM_CHOICES
    if too_many:
        rms = [r for r in rms if r.pk == filters.rm]
    return {
        "branches": selectors.branches_visible_to(request.user),
        "rms": rms,
        "rms_hint": too_many,
        "statuses": CustomerStatus.choices,
        "risks": RiskLevel.choices,
        "tiers": WealthTier.choices,
        "segments": list(SEGMENTS.items()),
        "lifecycles": list(STAGES.items()),
        "life_stages": list(LIFE_STAGES.items()),
        "churn_bands": [(k, label) for k, (_floor, label) in CHURN_BANDS.items()],
        "can_create": has_role(request.user, CAN_EDIT_CUSTOMERS),
        "can_reveal": has_role(request.user, CAN_REVEAL_PII),
        "reason": request.GET.get("reason", "")[:200],
    }


@login_required
@require_safe
def customer_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    c360 = customer_profile(user=request.user, customer_id=pk, today=timezone.localdate())
    services.customer_viewed(actor=request.user, customer=c360.customer)
    channel_labels = dict(Channel.choices)
    score = c360.score
    context: dict[str, Any] = {
        "score": score,
        "segment_label": SEGMENTS.get(score.rfm_segment, "") if score else "",
        "stage_label": STAGES.get(score.lifecycle_stage, "") if score else "",
        "zh": (request.LANGUAGE_CODE or "").startswith("zh"),
        "c": c360.customer,
        "v": c360,
        "trend_fig": line_chart(
            [m for m, _v in c360.aum_trend],
            [v for _m, v in c360.aum_trend],
            title=_("AUM over the last 36 months"),
        ),
        "mix_fig": pie_chart(
            [str(channel_labels.get(ch, ch)) for ch, _n in c360.channel_mix],
            [n for _ch, n in c360.channel_mix],
            title=_("Transactions by channel, last 12 months"),
        ),
        **timeline_card_context(request.user),
        **loyalty_card_context(request.user, c360.loyalty),
        "reveal_form": RevealForm(),
        "consent_form": ConsentForm(may_grant=has_role(request.user, CAN_EDIT_CUSTOMERS)),
        "can_record_consent": has_role(request.user, CAN_WITHDRAW_CONSENT),
        # The consents partial shows a recording's errors; none on the page itself. (Named,
        # so the template resolves it: a failed lookup is logged at DEBUG with the context.)
        "errors": [],
        "today": timezone.localdate(),
        "consent_purposes": dict(ConsentPurpose.choices),
        "consent_channels": dict(ContactChannel.choices),
        "can_edit": has_role(request.user, CAN_EDIT_CUSTOMERS),
        "can_reveal": has_role(request.user, CAN_REVEAL_PII),
    }
    return render(request, "customers/detail.html", context)


def _form_rm_queryset(request: AuthenticatedRequest) -> Any:
    return selectors.staff_visible_to(request.user)


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_EDIT_CUSTOMERS)
def customer_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = CustomerForm(
        request.POST or None,
        rm_queryset=_form_rm_queryset(request),
        branch_queryset=selectors.branches_assignable_by(request.user),
        initial={
            "onboarded_on": timezone.localdate(),
            "branch": request.user.branch_id,
            "rm": request.user.pk,
        },
    )
    if request.method == "POST" and form.is_valid():
        duplicates = _entry_duplicates(request, form.cleaned_data)
        if duplicates is not None:
            return render(
                request,
                "customers/form.html",
                {"form": form, "customer": None, "duplicates": duplicates},
            )
        try:
            customer = services.customer_create(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Customer created."))
            return redirect(customer)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_EDIT_CUSTOMERS)
def customer_edit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    form = CustomerForm(
        request.POST or None,
        instance=customer,
        rm_queryset=_form_rm_queryset(request),
        branch_queryset=selectors.branches_assignable_by(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"customer_no", "version"}}
        fresh = selectors.customer_get(user=request.user, customer_id=pk)
        changed = {
            k: data.get(k, "") for k in ("id_number", "mobile") if data.get(k) != getattr(fresh, k)
        }
        duplicates = _entry_duplicates(request, changed, exclude=pk) if changed else None
        if duplicates is not None:
            return render(
                request,
                "customers/form.html",
                {"form": form, "customer": customer, "duplicates": duplicates},
            )
        try:
            services.customer_update(
                actor=request.user,
                customer=fresh,
                data=data,
                version=form.cleaned_data.get("version"),
            )
        except ConcurrentEdit as exc:
            return _edit_conflict(request, pk, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(customer)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


def _entry_duplicates(
    request: AuthenticatedRequest, data: dict[str, Any], exclude: int | None = None
) -> selectors.EntryDuplicates | None:
    """The existing customers with this ID number or mobile, unless there are none or the
    person has seen them and saves anyway (a different person sharing a family mobile)."""
    if request.POST.get("confirm_duplicate") == "1":
        return None
    found = selectors.entry_duplicates(
        user=request.user,
        id_number=data.get("id_number") or "",
        mobile=data.get("mobile") or "",
        exclude=exclude,
    )
    return found if found.in_scope or found.elsewhere else None


def _edit_conflict(request: AuthenticatedRequest, pk: int, exc: ConcurrentEdit) -> HttpResponse:
    """409 with the person's input kept, the saved value shown beside each field that differs,
    and the current version in the form, so that saving again is a deliberate choice."""
    current = selectors.customer_get(user=request.user, customer_id=pk)
    # Read before validating: a model form writes the input onto its instance.
    values = {name: getattr(current, name) for name in services.EDITABLE_FIELDS}
    posted = request.POST.copy()
    posted["version"] = str(current.version)
    form = CustomerForm(
        posted,
        instance=current,
        rm_queryset=_form_rm_queryset(request),
        branch_queryset=selectors.branches_assignable_by(request.user),
    )
    saved: dict[str, str] = {}
    if form.is_valid():
        saved = {
            name: _shown(name, value)
            for name, value in values.items()
            if form.cleaned_data.get(name) != value
        }
    form.add_error(None, exc.message)
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": current, "saved": saved},
        status=409,
    )


def _shown(name: str, value: Any) -> str:
    """A saved value as a person reads it: choice labels, names, ISO dates, — for nothing;
    the ID number and mobile masked, as everywhere but the reveal."""
    if value is None or value == "":
        return "—"
    value = mask_field(Customer, name, value)
    choices = dict(getattr(Customer._meta.get_field(name), "flatchoices", []))
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@login_required
@require_POST
@role_required(CAN_REVEAL_PII)
def customer_reveal_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    form = RevealForm(request.POST)
    value = None
    label = ""
    if form.is_valid():
        field = form.cleaned_data["field"]
        value = services.customer_reveal(
            actor=request.user,
            customer=customer,
            field=field,
            reason=form.cleaned_data["reason"],
        )
        label = dict(form.fields["field"].choices)[field]  # type: ignore[attr-defined]
        form = RevealForm()  # ready for the other identifier, with a reason of its own
    status = 200 if value is not None else 400
    return render(
        request,
        "customers/_reveal.html",
        {"c": customer, "form": form, "value": value, "revealed_label": label},
        status=status,
    )


@login_required
@require_POST
@role_required(CAN_REVEAL_PII)
def account_reveal_view(request: AuthenticatedRequest, pk: int, account_id: int) -> HttpResponse:
    """The full number of one of the customer's accounts or cards, with a reason (audited)."""
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    account = banking_selectors.account_get(customer=customer, account_id=account_id)
    value, errors = "", []
    try:
        value = banking_services.account_reveal(
            actor=request.user, account=account, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        errors = [m for ms in exc.message_dict.values() for m in ms]
    return render(
        request,
        "customers/_account_reveal.html",
        {"c": customer, "a": account, "value": value, "errors": errors, "can_reveal": True},
        status=400 if errors else 200,
    )


@login_required
@require_POST
@role_required(CAN_WITHDRAW_CONSENT)
def consent_record_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record a grant (editors) or a withdrawal (editors and the call centre); audited."""
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    may_grant = has_role(request.user, CAN_EDIT_CUSTOMERS)
    if not may_grant and request.POST.get("granted") == "1":
        raise PermissionDenied(_("Your role may record a consent withdrawal, not a grant."))
    form = ConsentForm(request.POST, may_grant=may_grant)
    errors: list[str] = []
    if form.is_valid():
        services.consent_record(actor=request.user, customer=customer, **form.cleaned_data)
    else:
        errors = [f"{form.fields[f].label}: {m}" for f, ms in form.errors.items() for m in ms]
    consents = selectors.consent_states(list(customer.consents.all()))
    return render(
        request,
        "customers/_consents.html",
        {
            "c": customer,
            "consents": consents,
            "errors": errors,
            "can_record_consent": True,
            "consent_form": ConsentForm(may_grant=may_grant),
            "consent_purposes": dict(ConsentPurpose.choices),
            "consent_channels": dict(ContactChannel.choices),
        },
        status=400 if errors else 200,
    )
