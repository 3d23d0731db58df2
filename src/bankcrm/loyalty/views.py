"""The programme's pages: the 360 page's loyalty card and its actions (HTMX partials), the
RMs' pre-expiry list and pending approvals, and the programme's own pages for admins."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bankcrm.core.lists import list_state
from bankcrm.core.permissions import AuthenticatedRequest, require_role, role_required
from bankcrm.core.roles import (
    CAN_ADJUST_POINTS,
    CAN_APPROVE_ADJUSTMENTS,
    CAN_MANAGE_LOYALTY,
    CAN_REDEEM_POINTS,
    CAN_VIEW_PROGRAMME,
    has_role,
)
from bankcrm.core.submissions import FIELD, submission_claim, submission_token
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import customer_get
from bankcrm.loyalty import defaults, selectors, services
from bankcrm.loyalty.forms import (
    AdjustForm,
    CancelForm,
    DecideForm,
    ProgrammeForm,
    RedeemForm,
    RestockForm,
    RewardForm,
    RuleForm,
    TierForm,
)
from bankcrm.loyalty.lists import REWARD_LIST, RULE_LIST
from bankcrm.loyalty.models import EarnRule, RewardKind, RuleKind, Tier
from bankcrm.web.charts import bar_chart, line_chart


def card_context(user: Any, summary: selectors.LoyaltySummary | None) -> dict[str, Any]:
    """What the 360 page's loyalty card needs (the page includes ``loyalty/_card.html``)."""
    return {
        "loyalty": summary,
        "redeem_form": RedeemForm(),
        "adjust_form": AdjustForm(),
        "redeem_token": submission_token(),
        "adjust_token": submission_token(),
        "can_redeem": has_role(user, CAN_REDEEM_POINTS),
        "can_adjust": has_role(user, CAN_ADJUST_POINTS),
        "can_approve": has_role(user, CAN_APPROVE_ADJUSTMENTS),
    }


def _card(
    request: AuthenticatedRequest,
    customer: Customer,
    *,
    saved: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    summary = selectors.loyalty_summary(customer=customer)
    context = card_context(request.user, summary)
    context.update(c=customer, loyalty_saved=saved, loyalty_errors=errors or [])
    return render(request, "loyalty/_card.html", context, status=status)


def _errors(form: Any) -> list[str]:
    return [
        f"{form.fields[f].label if f in form.fields else ''}: {m}"
        for f, ms in form.errors.items()
        for m in ms
    ]


@login_required
@require_POST
@role_required(CAN_REDEEM_POINTS)
def redeem_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _card(request, customer, errors=_errors(form), status=400)
    try:
        with transaction.atomic():
            first = submission_claim(user=request.user, token=request.POST.get(FIELD, ""))
            if first:
                services.redemption_create(
                    actor=request.user,
                    customer=customer,
                    reward=form.cleaned_data["reward"],
                    quantity=form.cleaned_data["quantity"],
                )
    except services.LoyaltyRefused as refused:
        return _card(request, customer, errors=[refused.message], status=409)
    saved = _("Redeemed.") if first else _("Already redeemed: recorded once.")
    return _card(request, customer, saved=saved)


@login_required
@require_POST
@role_required(CAN_REDEEM_POINTS)
def cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    redemption = selectors.redemption_get(user=request.user, redemption_id=pk)
    customer = customer_get(user=request.user, customer_id=redemption.member.customer_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.redemption_cancel(actor=request.user, redemption=redemption, reason=reason)
    except services.LoyaltyRefused as refused:
        return _card(request, customer, errors=[refused.message], status=409)
    return _card(request, customer, saved=_("Redemption cancelled: points and stock returned."))


@login_required
@require_POST
@role_required(CAN_ADJUST_POINTS)
def adjust_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        return _card(request, customer, errors=_errors(form), status=400)
    try:
        with transaction.atomic():
            first = submission_claim(user=request.user, token=request.POST.get(FIELD, ""))
            adjustment = None
            if first:
                adjustment = services.adjustment_request(
                    actor=request.user, customer=customer, **form.cleaned_data
                )
    except services.LoyaltyRefused as refused:
        return _card(request, customer, errors=[refused.message], status=409)
    if adjustment is None:
        saved = _("Already recorded once.")
    elif adjustment.status == "pending":
        saved = _("Above the approval threshold: waiting for a second person's approval.")
    else:
        saved = _("Points adjusted.")
    return _card(request, customer, saved=saved)


@login_required
@require_POST
@role_required(CAN_APPROVE_ADJUSTMENTS)
def decide_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    adjustment = selectors.adjustment_get(user=request.user, adjustment_id=pk)
    customer = customer_get(user=request.user, customer_id=adjustment.member.customer_id)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _card(request, customer, errors=_errors(form), status=400)
    try:
        services.adjustment_decide(
            actor=request.user, adjustment=adjustment, approve=form.cleaned_data["approve"]
        )
    except services.LoyaltyRefused as refused:
        return _card(request, customer, errors=[refused.message], status=409)
    approved = form.cleaned_data["approve"]
    return _card(request, customer, saved=_("Approved.") if approved else _("Rejected."))


@login_required
@require_safe
def expiring_view(request: AuthenticatedRequest) -> HttpResponse:
    """The RM's customers whose points expire within the notice period unless spent."""
    programme = services.programme_get()
    horizon = timezone.localdate() + dt.timedelta(days=programme.expiry_notice_days)
    rows = selectors.expiring_list(user=request.user, horizon=horizon)
    return render(
        request,
        "loyalty/expiring.html",
        {"rows": rows, "horizon": horizon, "notice_days": programme.expiry_notice_days},
    )


@login_required
@require_safe
@role_required(CAN_APPROVE_ADJUSTMENTS)
def adjustments_view(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "loyalty/adjustments.html",
        {"adjustments": selectors.pending_adjustments(user=request.user)},
    )


# --- the programme's pages -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_VIEW_PROGRAMME)
def programme_view(request: AuthenticatedRequest) -> HttpResponse:
    programme = services.programme_get()
    can_manage = has_role(request.user, CAN_MANAGE_LOYALTY)
    form = ProgrammeForm(instance=programme)
    status = 200
    if request.method == "POST":
        require_role(request.user, CAN_MANAGE_LOYALTY)
        form = ProgrammeForm(request.POST, instance=services.programme_get())
        if form.is_valid():
            services.programme_update(
                actor=request.user, programme=programme, data=form.cleaned_data
            )
            messages.success(request, _("Programme settings saved."))
            return redirect("loyalty:programme")
        status = 400
    tiers = selectors.tier_list()
    return render(
        request,
        "loyalty/programme.html",
        {
            "programme": programme,
            "form": form,
            "tiers": [(t, TierForm(instance=t, prefix=f"t{t.pk}")) for t in tiers],
            "can_manage": can_manage,
            "has_tiers": bool(tiers),
        },
        status=status,
    )


@login_required
@require_POST
@role_required(CAN_MANAGE_LOYALTY)
def setup_view(request: AuthenticatedRequest) -> HttpResponse:
    defaults.programme_setup_defaults(actor=request.user)
    messages.success(request, _("Tiers, earning rules and rewards set up with their defaults."))
    return redirect("loyalty:programme")


@login_required
@require_POST
@role_required(CAN_MANAGE_LOYALTY)
def tier_edit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    tier = Tier.objects.filter(pk=pk).first()
    if tier is None:
        raise Http404
    form = TierForm(request.POST, instance=tier, prefix=f"t{tier.pk}")
    if form.is_valid():
        services.tier_save(actor=request.user, tier=form.save(commit=False))
        messages.success(request, _("Tier saved."))
    else:
        messages.error(request, "; ".join(_errors(form)))
    return redirect("loyalty:programme")


def _rule_conditions(rule: EarnRule) -> str:
    parts = [
        str(v)
        for v in (
            rule.txn_type,
            rule.channel,
            rule.product_category,
            rule.counterparty_category,
            rule.tier.display_name if rule.tier else "",
        )
        if v
    ]
    return " · ".join(parts) or "—"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_VIEW_PROGRAMME)
def rules_view(request: AuthenticatedRequest) -> HttpResponse:
    can_manage = has_role(request.user, CAN_MANAGE_LOYALTY)
    form = RuleForm(initial={"effective_from": timezone.localdate() + dt.timedelta(days=1)})
    status = 200
    if request.method == "POST":
        require_role(request.user, CAN_MANAGE_LOYALTY)
        form = RuleForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            effective_from = data.pop("effective_from")
            current = EarnRule.objects.filter(code=data["code"]).order_by("-version").first()
            try:
                services.rule_new_version(
                    actor=request.user, rule=current, data=data, effective_from=effective_from
                )
            except services.LoyaltyRefused as refused:
                form.add_error("effective_from", refused.message)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("loyalty:rules")
        status = 400
    kind = request.GET.get("kind", "")
    kind = kind if kind in RuleKind.values else ""
    in_force = request.GET.get("current") == "1"
    state = list_state(spec=RULE_LIST, params=request.GET, user=request.user, count=None)
    rules = list(selectors.rule_list(sort=state.sort, kind=kind, current_only=in_force))
    state.count = len(rules)
    return render(
        request,
        "loyalty/rules.html",
        {
            "rules": [(r, _rule_conditions(r)) for r in rules],
            "state": state,
            "form": form,
            "kinds": RuleKind.choices,
            "kind": kind,
            "current": in_force,
            "can_manage": can_manage,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_VIEW_PROGRAMME)
def rewards_view(request: AuthenticatedRequest) -> HttpResponse:
    can_manage = has_role(request.user, CAN_MANAGE_LOYALTY)
    form = RewardForm()
    status = 200
    if request.method == "POST":
        require_role(request.user, CAN_MANAGE_LOYALTY)
        form = RewardForm(request.POST)
        if form.is_valid():
            services.reward_save(actor=request.user, reward=form.save(commit=False))
            messages.success(request, _("Reward saved."))
            return redirect("loyalty:rewards")
        status = 400
    kind = request.GET.get("kind", "")
    kind = kind if kind in RewardKind.values else ""
    state = list_state(spec=REWARD_LIST, params=request.GET, user=request.user, count=None)
    rewards = list(selectors.reward_list(sort=state.sort, kind=kind))
    state.count = len(rewards)
    return render(
        request,
        "loyalty/rewards.html",
        {
            "rewards": rewards,
            "state": state,
            "form": form,
            "restock_form": RestockForm(),
            "kinds": RewardKind.choices,
            "kind": kind,
            "can_manage": can_manage,
        },
        status=status,
    )


@login_required
@require_POST
@role_required(CAN_MANAGE_LOYALTY)
def restock_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    reward = selectors.reward_get(reward_id=pk)
    form = RestockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(_errors(form)))
        return redirect("loyalty:rewards")
    try:
        services.reward_restock(actor=request.user, reward=reward, add=form.cleaned_data["add"])
    except services.LoyaltyRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Stock added."))
    return redirect("loyalty:rewards")


@login_required
@require_safe
def kpis_view(request: AuthenticatedRequest) -> HttpResponse:
    """The dashboard's loyalty figures (an HTMX fragment the dashboard loads)."""
    k = selectors.loyalty_kpis(user=request.user, today=timezone.localdate())
    months = [m for m, *_rest in k.by_month]
    context = {
        "k": k,
        "earn_burn_fig": bar_chart(
            [m.strftime("%Y-%m") for m in months],
            [e for _m, e, _r, _x in k.by_month],
            title=_("Points earned per month"),
            money=False,
        )
        if k.members
        else "",
        "burn_fig": line_chart(
            months,
            [r for _m, _e, r, _x in k.by_month],
            title=_("Points redeemed per month"),
            money=False,
        )
        if k.members
        else "",
        "tier_fig": bar_chart(
            [t.display_name for t, _n in k.tiers],
            [n for _t, n in k.tiers],
            title=_("Members by tier"),
            money=False,
        )
        if k.members
        else "",
    }
    return render(request, "loyalty/_kpis.html", context)
