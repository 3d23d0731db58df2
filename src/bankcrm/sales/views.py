"""Sales pages: the RM's agenda, leads, opportunities (list, board, detail), the weighted
pipeline, portfolio reassignment, RM performance and targets. Thin: parse → selector/service
→ render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bankcrm.banking.models import Product
from bankcrm.core.lists import list_state
from bankcrm.core.masking import mask_mobile
from bankcrm.core.models import User
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import (
    CAN_REASSIGN_CUSTOMERS,
    CAN_SET_TARGETS,
    CAN_VIEW_SALES,
    CAN_WORK_SALES,
    has_role,
)
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import (
    customer_by_number,
    customer_get,
    customers_visible_to,
    staff_visible_to,
)
from bankcrm.insights.selectors import latest_score
from bankcrm.interactions.services import interaction_create
from bankcrm.sales import agenda as agenda_mod
from bankcrm.sales import imports, performance, selectors, services
from bankcrm.sales.forms import (
    ActivityForm,
    ConvertForm,
    LeadForm,
    LeadImportForm,
    MoveForm,
    OpportunityEditForm,
    OpportunityForm,
    QualifyForm,
    ReasonForm,
    SnoozeForm,
    TargetForm,
)
from bankcrm.sales.lists import LEAD_LIST, OPPORTUNITY_LIST
from bankcrm.sales.models import (
    OPEN_STAGES,
    LeadSource,
    LeadStatus,
    LostReason,
    Opportunity,
    OpportunityOrigin,
    Stage,
)
from bankcrm.sales.rules import probabilities
from bankcrm.web.charts import bar_chart

LIST_LIMIT = 200


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# -- the agenda ---------------------------------------------------------------------------


@login_required
@require_safe
@role_required(CAN_WORK_SALES)
def agenda_view(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    data = agenda_mod.agenda(user=request.user, today=today)
    return render(
        request,
        "sales/agenda.html",
        {
            "agenda": data,
            "today": today,
            "sources": agenda_mod.SOURCES,
            "snooze_until": today + dt.timedelta(days=7),
            "kinds": ActivityForm.base_fields["kind"].choices,  # type: ignore[attr-defined]
            "log_url": reverse("sales:agenda_log"),
            "snooze_url": reverse("sales:agenda_snooze"),
            "customers_url": reverse("sales:agenda").rstrip("/") + "/customers/",
        },
    )


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def agenda_log_view(request: AuthenticatedRequest) -> HttpResponse:
    """One click: the call (or visit) is logged on the customer's timeline, against the
    opportunity when the item is one."""
    form = ActivityForm(request.POST)
    customer_id = request.POST.get("customer", "")
    if not form.is_valid() or not customer_id.isdigit():
        return HttpResponse(_("Give the call a subject."), status=400)
    customer = customer_get(user=request.user, customer_id=int(customer_id))
    opp_id = request.POST.get("opportunity", "")
    kind, subject = form.cleaned_data["kind"], form.cleaned_data["subject"]
    notes = form.cleaned_data["notes"]
    if opp_id.isdigit():
        opp = selectors.opportunity_get(user=request.user, opportunity_id=int(opp_id))
        services.opportunity_log_activity(
            actor=request.user, opportunity=opp, kind=kind, subject=subject, notes=notes
        )
    else:
        interaction_create(
            actor=request.user, customer=customer, kind=kind, subject=subject, notes=notes
        )
    return render(request, "sales/_done.html", {"message": _("Logged: %(s)s") % {"s": subject}})


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def agenda_snooze_view(request: AuthenticatedRequest) -> HttpResponse:
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Give a reason and a later day."), status=400)
    try:
        services.agenda_snooze(
            actor=request.user,
            item=form.cleaned_data["item"],
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        return HttpResponse("; ".join(_errors(exc)), status=400)
    return render(
        request,
        "sales/_done.html",
        {"message": _("Snoozed until %(d)s") % {"d": form.cleaned_data["until"].isoformat()}},
    )


# -- leads --------------------------------------------------------------------------------


def _lead_form(request: AuthenticatedRequest, data: Any = None) -> LeadForm:
    staff = User.objects.filter(is_active=True, branch__isnull=False).order_by("username")
    return LeadForm(data, staff=staff, rms=staff_visible_to(request.user))


@login_required
@require_safe
@role_required(CAN_VIEW_SALES)
def lead_list_view(request: AuthenticatedRequest) -> HttpResponse:
    filters = selectors.lead_filters(request.GET)
    qs = selectors.lead_list(user=request.user, filters=filters)
    count = qs.count()
    state = list_state(spec=LEAD_LIST, params=request.GET, user=request.user, count=count)
    rows = [(lead, mask_mobile(lead.mobile)) for lead in qs[:LIST_LIMIT]]
    return render(
        request,
        "sales/leads.html",
        {
            "state": state,
            "rows": rows,
            "filters": filters,
            "statuses": LeadStatus.choices,
            "sources": LeadSource.choices,
            "can_work": has_role(request.user, CAN_WORK_SALES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_WORK_SALES)
def lead_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = _lead_form(request, request.POST if request.method == "POST" else None)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.LEAD_FIELDS}
        number = form.cleaned_data.get("referrer_customer_no", "")
        if number:
            data["referrer_customer"] = customer_by_number(user=request.user, number=number)
            if data["referrer_customer"] is None:
                form.add_error(
                    "referrer_customer_no", _("No customer with this number in your scope.")
                )
        if not form.errors:
            try:
                lead = services.lead_create(
                    actor=request.user, data=data, allow_duplicate=form.cleaned_data["confirm_new"]
                )
            except services.DuplicateLead as exc:
                duplicates = exc.check
            except ValidationError as exc:
                for field_name, msgs in exc.message_dict.items():
                    for m in msgs:
                        form.add_error(field_name if field_name in form.fields else None, m)
            else:
                messages.success(request, _("Lead created."))
                return redirect("sales:lead", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "duplicates": duplicates})


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_WORK_SALES)
def lead_import_view(request: AuthenticatedRequest) -> HttpResponse:
    form = LeadImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = imports.leads_import(actor=request.user, data=form.cleaned_data["file"].read())
        except ValidationError as exc:
            form.add_error("file", "; ".join(_errors(exc)))
        else:
            if result.ok:
                messages.success(
                    request,
                    ngettext("%(n)d lead imported.", "%(n)d leads imported.", result.saved)
                    % {"n": result.saved},
                )
                return redirect("sales:leads")
    return render(
        request,
        "sales/import.html",
        {
            "form": form,
            "result": result,
            "columns": imports.LEAD_COLUMNS,
            "title": _("Import leads"),
            "sources": LeadSource.values,
        },
    )


@login_required
@require_safe
@role_required(CAN_VIEW_SALES)
def lead_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    return render(
        request,
        "sales/lead_detail.html",
        {
            "lead": lead,
            "mobile": mask_mobile(lead.mobile),
            "history": selectors.lead_history(lead=lead),
            "qualify_form": QualifyForm(
                initial={
                    "need": lead.need,
                    "product_interest": lead.product_interest_id,
                    "expected_aum": lead.expected_aum,
                    "follow_up_on": lead.follow_up_on,
                }
            ),
            "convert_form": ConvertForm(
                initial={"product": lead.product_interest_id, "amount": lead.expected_aum}
            ),
            "activity_form": ActivityForm(),
            "can_work": has_role(request.user, CAN_WORK_SALES),
            "opportunities": list(lead.opportunities.select_related("product")),
        },
    )


def _lead_back(lead_id: int) -> HttpResponse:
    return redirect("sales:lead", pk=lead_id)


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def lead_qualify_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    form = QualifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what the lead needs."))
        return _lead_back(pk)
    try:
        services.lead_qualify(actor=request.user, lead=lead, **form.cleaned_data)
        messages.success(request, _("Lead qualified."))
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    return _lead_back(pk)


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def lead_disqualify_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    form = ReasonForm(request.POST)
    try:
        services.lead_disqualify(
            actor=request.user,
            lead=lead,
            reason=form.data.get("reason", "") if form.is_valid() else "",
        )
        messages.success(request, _("Lead disqualified."))
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
    return _lead_back(pk)


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def lead_convert_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    form = ConvertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the first product and its amount."))
        return _lead_back(pk)
    try:
        done = services.lead_convert(
            actor=request.user,
            lead=lead,
            product=form.cleaned_data["product"],
            amount=form.cleaned_data["amount"],
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(_errors(exc)))
        return _lead_back(pk)
    messages.success(
        request, _("The lead is now customer %(no)s.") % {"no": done.customer.customer_no}
    )
    return redirect(done.customer.get_absolute_url())


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def lead_activity_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=pk)
    form = ActivityForm(request.POST)
    if form.is_valid():
        services.lead_log_activity(actor=request.user, lead=lead, **form.cleaned_data)
        messages.success(request, _("Activity logged."))
    else:
        messages.error(request, _("Give the activity a subject."))
    return _lead_back(pk)


# -- opportunities --------------------------------------------------------------------------


def _filter_choices(request: AuthenticatedRequest) -> dict[str, Any]:
    return {
        "stages": Stage.choices,
        "products": Product.objects.order_by("code").only("pk", "code", "name_zh", "name_en"),
        "rms": staff_visible_to(request.user).order_by("username"),
    }


@login_required
@require_safe
@role_required(CAN_VIEW_SALES)
def opportunity_list_view(request: AuthenticatedRequest) -> HttpResponse:
    filters = selectors.opportunity_filters(request.GET)
    qs = selectors.opportunity_list(user=request.user, filters=filters)
    count = qs.count()
    state = list_state(spec=OPPORTUNITY_LIST, params=request.GET, user=request.user, count=count)
    return render(
        request,
        "sales/opportunities.html",
        {
            "state": state,
            "rows": list(qs[:LIST_LIMIT]),
            "filters": filters,
            **_filter_choices(request),
        },
    )


@login_required
@require_safe
@role_required(CAN_VIEW_SALES)
def board_view(request: AuthenticatedRequest) -> HttpResponse:
    filters = selectors.opportunity_filters(request.GET)
    columns = selectors.pipeline_board(user=request.user, filters=filters)
    return render(
        request,
        "sales/board.html",
        {
            "columns": columns,
            "filters": filters,
            "lost_reasons": LostReason.choices,
            "can_work": has_role(request.user, CAN_WORK_SALES),
            "probabilities": probabilities(),
            **_filter_choices(request),
        },
    )


def _card(
    request: AuthenticatedRequest, opp: Opportunity, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "sales/_card.html",
        {
            "o": opp,
            "error": error,
            "lost_reasons": LostReason.choices,
            "can_work": True,
        },
        status=status,
    )


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def opportunity_move_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Move a card (drag on the board, or its move control): the card comes back at its new
    stage, or at its old one with the exact reason for a refusal (400, swapped in place)."""
    opp = selectors.opportunity_get(user=request.user, opportunity_id=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _card(request, opp, error=_("Choose a stage."), status=400)
    try:
        opp = services.opportunity_move(
            actor=request.user,
            opportunity=opp,
            stage=form.cleaned_data["stage"],
            lost_reason=form.cleaned_data["lost_reason"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        if not request.htmx:  # type: ignore[attr-defined]
            messages.error(request, "; ".join(_errors(exc)))
            return redirect(opp.get_absolute_url())
        return _card(request, opp, error="; ".join(_errors(exc)), status=400)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("Moved to %(stage)s.") % {"stage": opp.get_stage_display()})
        return redirect(opp.get_absolute_url())
    return _card(request, opp)


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_WORK_SALES)
def opportunity_create_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, customer_id=pk)
    form = OpportunityForm(request.POST or None, initial={"product": request.GET.get("product")})
    if request.method == "POST" and form.is_valid():
        try:
            opp = services.opportunity_create(
                actor=request.user, customer=customer, **form.cleaned_data
            )
        except ValidationError as exc:
            for field_name, msgs in exc.message_dict.items():
                for m in msgs:
                    form.add_error(field_name if field_name in form.fields else None, m)
        else:
            messages.success(request, _("Opportunity opened."))
            return redirect(opp.get_absolute_url())
    return render(request, "sales/opportunity_form.html", {"form": form, "customer": customer})


@login_required
@require_POST
@role_required(CAN_WORK_SALES)
def opportunity_from_recommendation_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One click from a next best product on the 360 page: the opportunity opens with the
    recommendation as its origin (only a product the newest run recommends to this customer)."""
    customer = customer_get(user=request.user, customer_id=pk)
    code = request.POST.get("product", "")
    score = latest_score(customer_id=customer.pk)
    recommended = {str(r.get("product")) for r in (score.recommendations if score else [])}
    product = Product.objects.filter(code=code).first()
    if product is None or code not in recommended:
        raise Http404("Not a recommendation of this customer")
    existing = Opportunity.objects.filter(
        customer=customer, product=product, stage__in=OPEN_STAGES
    ).first()
    if existing is not None:
        messages.info(request, _("An opportunity for this product is already open."))
        return redirect(existing.get_absolute_url())
    opp = services.opportunity_create(
        actor=request.user,
        customer=customer,
        product=product,
        expected_amount=product.min_amount or Decimal(0),
        expected_close_on=timezone.localdate() + dt.timedelta(days=30),
        next_step=_("Call to present %(p)s") % {"p": product.name_zh},
        next_step_on=timezone.localdate() + dt.timedelta(days=2),
        origin=OpportunityOrigin.RECOMMENDATION,
    )
    messages.success(request, _("Opportunity opened from the recommendation."))
    return redirect(opp.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_VIEW_SALES)
def opportunity_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_get(user=request.user, opportunity_id=pk)
    can_work = has_role(request.user, CAN_WORK_SALES)
    form = OpportunityEditForm(request.POST if request.method == "POST" else None, instance=opp)
    if request.method == "POST":
        if not can_work:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.opportunity_update(
                    actor=request.user, opportunity=opp, data=form.cleaned_data
                )
            except ValidationError as exc:
                messages.error(request, "; ".join(_errors(exc)))
            else:
                messages.success(request, _("Saved."))
                return redirect(opp.get_absolute_url())
        opp = selectors.opportunity_get(user=request.user, opportunity_id=pk)
    history = list(opp.stage_changes.select_related("changed_by"))
    from bankcrm.interactions.models import Interaction

    activities = list(
        Interaction.objects.filter(sales_link__opportunity=opp).select_related("staff")[:30]
    )
    return render(
        request,
        "sales/opportunity_detail.html",
        {
            "o": opp,
            "form": form,
            "history": history,
            "activities": activities,
            "activity_form": ActivityForm(),
            "lost_reasons": LostReason.choices,
            "can_work": can_work,
        },
    )


@login_required
@require_safe
@role_required(CAN_VIEW_SALES)
def pipeline_view(request: AuthenticatedRequest) -> HttpResponse:
    tables = {
        by: selectors.weighted_pipeline(user=request.user, by=by)
        for by in ("rm", "branch", "product")
    }
    rows = tables["rm"]
    chart = (
        bar_chart(
            [r.label for r in rows], [r.weighted for r in rows], title=_("Weighted pipeline by RM")
        )
        if rows
        else ""
    )
    return render(
        request,
        "sales/pipeline.html",
        {"tables": tables, "chart": chart, "probabilities": probabilities()},
    )


# -- portfolio ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_REASSIGN_CUSTOMERS)
def portfolio_view(request: AuthenticatedRequest) -> HttpResponse:
    """Hand an RM's whole portfolio (an RM leaves) or the chosen customers to another RM."""
    rms = list(staff_visible_to(request.user).order_by("username"))
    if request.method == "POST":
        by_id = {str(r.pk): r for r in rms}
        to_rm = by_id.get(request.POST.get("to_rm", ""))
        from_rm = by_id.get(request.POST.get("from_rm", ""))
        reason = request.POST.get("reason", "").strip()[:200] or "reassigned"
        if to_rm is None:
            messages.error(request, _("Choose an RM within your scope."))
            return redirect("sales:portfolio")
        visible = customers_visible_to(request.user)
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 19]
        if ids:
            chosen = list(visible.filter(pk__in=ids))
        elif from_rm is not None:
            chosen = list(visible.filter(rm=from_rm))
        else:
            messages.error(request, _("Choose the RM whose customers move, or the customers."))
            return redirect("sales:portfolio")
        done = services.portfolio_reassign(
            actor=request.user,
            customers=chosen,
            to_rm=to_rm,
            reason=reason,
            leads_of=from_rm if not ids else None,
        )
        messages.success(
            request,
            _("%(c)d customers, %(t)d open tasks and %(o)d open opportunities moved to %(rm)s.")
            % {
                "c": done.customers,
                "t": done.tasks,
                "o": done.opportunities,
                "rm": to_rm.display_name,
            },
        )
        for line in done.skipped[:10]:
            messages.warning(request, line)
        return redirect("sales:portfolio")
    counts = dict(
        customers_visible_to(request.user)
        .filter(rm__in=rms)
        .values_list("rm_id")
        .annotate(n=Count("id"))
    )
    return render(
        request,
        "sales/portfolio.html",
        {"rms": [(r, counts.get(r.pk, 0)) for r in rms]},
    )


# -- performance and targets --------------------------------------------------------------


def _month(request: AuthenticatedRequest) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        return (
            dt.date.fromisoformat(raw + "-01")
            if len(raw) == 7
            else timezone.localdate().replace(day=1)
        )
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
@require_safe
@role_required(CAN_VIEW_SALES)
def performance_view(request: AuthenticatedRequest) -> HttpResponse:
    month = _month(request)
    rows = performance.rm_performance(user=request.user, month=month)
    charts = []
    if len(rows) > 1 or request.user.role != "rm":
        names = [r.rm_name for r in rows]
        charts = [
            bar_chart(names, [r.pipeline_won for r in rows], title=_("Pipeline won")),
            bar_chart(names, [r.aum_growth for r in rows], title=_("AUM growth")),
        ]
    return render(
        request,
        "sales/performance.html",
        {
            "rows": rows,
            "month": month,
            "prev": performance.prev_month(month),
            "next": performance.next_month(month),
            "charts": charts,
            "funnel": [Stage(s) for s in performance.FUNNEL],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_SET_TARGETS)
def targets_view(request: AuthenticatedRequest) -> HttpResponse:
    rms = staff_visible_to(request.user).order_by("username")
    form = TargetForm(
        request.POST if request.method == "POST" and "rm" in request.POST else None, rms=rms
    )
    upload = LeadImportForm(
        request.POST if "file" in request.FILES else None, request.FILES or None
    )
    result = None
    if request.method == "POST" and "file" in request.FILES and upload.is_valid():
        result = imports.targets_import(actor=request.user, data=upload.cleaned_data["file"].read())
        if result.ok:
            messages.success(request, _("%(n)d targets saved.") % {"n": result.saved})
            return redirect("sales:targets")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.target_set(
            actor=request.user,
            rm=data["rm"],
            month=data["month"],
            values={k: data[k] for k in services.TARGET_FIELDS},
        )
        messages.success(request, _("Target saved."))
        return redirect("sales:targets")
    from bankcrm.sales.models import RmTarget

    targets = list(
        RmTarget.objects.filter(rm__in=rms)
        .select_related("rm")
        .order_by("-month", "rm__username")[:200]
    )
    return render(
        request,
        "sales/targets.html",
        {
            "form": form,
            "upload": upload,
            "result": result,
            "targets": targets,
            "columns": imports.TARGET_COLUMNS,
        },
    )


def customer_opportunities(*, user: User, customer: Customer) -> list[Opportunity]:
    """The 360 page's list of a customer's opportunities (the customer is already in scope)."""
    return list(
        selectors.opportunities_visible_to(user)
        .filter(customer=customer)
        .select_related("product")[:20]
    )
