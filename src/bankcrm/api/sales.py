"""Sales endpoints: leads (create after the duplicate check, list), opportunities (create,
move stage, list) and RM performance, in the same scope as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from bankcrm.api import schemas as s
from bankcrm.banking.models import Product
from bankcrm.core.concurrency import ConcurrentEdit
from bankcrm.core.models import Branch, User
from bankcrm.core.permissions import AuthenticatedRequest, require_role
from bankcrm.core.roles import CAN_VIEW_SALES, CAN_WORK_SALES
from bankcrm.customers.selectors import customer_get
from bankcrm.sales import performance, selectors, services

router = Router(tags=["sales"])


def _view(request: AuthenticatedRequest) -> None:
    require_role(request.user, CAN_VIEW_SALES, _("Your role may not read the sales pipeline."))


class LeadQuery(Schema):
    q: s.Text = ""
    status: s.Text = ""
    source: s.Text = ""
    limit: int = Field(50, ge=1, le=200)


@router.get("/leads", response=s.responses({200: s.LeadPage}, 403))
def list_leads(request: AuthenticatedRequest, query: Query[LeadQuery]) -> dict[str, Any]:
    """Leads in your scope (an RM their own, a branch manager their branch), newest first."""
    _view(request)
    qs = selectors.lead_list(user=request.user, filters=selectors.lead_filters(query.dict()))
    return {"items": list(qs[: query.limit]), "count": qs.count()}


class Duplicate(Exception):
    def __init__(self, check: selectors.DuplicateCheck) -> None:
        self.check = check


@router.post("/leads", response=s.responses({201: s.LeadOut}, 400, 403, 404, 409))
def create_lead(request: AuthenticatedRequest, payload: s.LeadIn) -> tuple[int, Any]:
    """Create a lead. The person is first looked for among customers and open leads (resident
    ID and mobile through their keyed hashes, name and birth date): a match answers 409 with
    the customers you may open (`errors.customers`: their ids); send `confirm_new` to create
    the lead anyway."""
    require_role(request.user, CAN_WORK_SALES, _("Your role may not work the sales pipeline."))
    data: dict[str, Any] = payload.dict(exclude={"confirm_new", "product_interest"})
    for key in ("referrer_customer_id", "referrer_staff_id", "branch_id", "rm_id"):
        data[key.removesuffix("_id")] = data.pop(key)
    if data["referrer_customer"] is not None:
        data["referrer_customer"] = customer_get(
            user=request.user, customer_id=data["referrer_customer"]
        )
    if data["referrer_staff"] is not None:
        data["referrer_staff"] = User.objects.filter(pk=data["referrer_staff"]).first()
    if data["branch"] is not None:
        data["branch"] = Branch.objects.filter(pk=data["branch"]).first()
        if data["branch"] is None:
            raise Http404
    else:
        data.pop("branch")
    if data["rm"] is not None:
        data["rm"] = User.objects.filter(pk=data["rm"]).first()
    else:
        data.pop("rm")
    if payload.product_interest:
        data["product_interest"] = Product.objects.filter(code=payload.product_interest).first()
    try:
        lead = services.lead_create(
            actor=request.user, data=data, allow_duplicate=payload.confirm_new
        )
    except services.DuplicateLead as exc:
        raise Duplicate(exc.check) from None
    return 201, lead


def duplicate_response(api: Any, request: HttpRequest, exc: Duplicate) -> HttpResponse:
    check = exc.check
    return api.create_response(
        request,
        {
            "detail": _(
                "This person may already be a customer or a lead: open them, or send "
                "confirm_new to create the lead anyway."
            ),
            "errors": {
                "customers": [str(c.pk) for c, _f in check.customers],
                "leads": [str(lead.pk) for lead, _f in check.leads],
                "elsewhere": [str(check.elsewhere)],
            },
        },
        status=409,
    )


class OpportunityQuery(Schema):
    q: s.Text = ""
    stage: s.Text = ""
    state: s.Text = Field("open", examples=["open", "closed", "all"])
    product: s.DbInt | None = None
    rm: s.DbInt | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/opportunities", response=s.responses({200: s.OpportunityPage}, 403))
def list_opportunities(
    request: AuthenticatedRequest, query: Query[OpportunityQuery]
) -> dict[str, Any]:
    _view(request)
    qs = selectors.opportunity_list(
        user=request.user, filters=selectors.opportunity_filters(query.dict())
    )
    return {"items": list(qs[: query.limit]), "count": qs.count()}


@router.post("/opportunities", response=s.responses({201: s.OpportunityOut}, 400, 403, 404))
def create_opportunity(request: AuthenticatedRequest, payload: s.OpportunityIn) -> tuple[int, Any]:
    require_role(request.user, CAN_WORK_SALES, _("Your role may not work the sales pipeline."))
    customer = customer_get(user=request.user, customer_id=payload.customer_id)
    product = Product.objects.filter(code=payload.product).first()
    if product is None:
        raise Http404
    opp = services.opportunity_create(
        actor=request.user,
        customer=customer,
        product=product,
        expected_amount=payload.expected_amount,
        expected_close_on=payload.expected_close_on,
        next_step=payload.next_step,
        next_step_on=payload.next_step_on,
    )
    return 201, opp


@router.post(
    "/opportunities/{opportunity_id}/stage",
    response=s.responses({200: s.OpportunityOut}, 400, 403, 404, 409),
)
def move_opportunity(
    request: AuthenticatedRequest, opportunity_id: s.Id, payload: s.StageIn
) -> Any:
    """Move to another stage by the pipeline's rules; into `proposal` only when the product
    passes the suitability check (refused with its reason in `errors.stage`, and audited)."""
    opp = selectors.opportunity_get(user=request.user, opportunity_id=opportunity_id)
    try:
        return 200, services.opportunity_move(
            actor=request.user,
            opportunity=opp,
            stage=payload.stage,
            lost_reason=payload.lost_reason,
            version=payload.version,
        )
    except ConcurrentEdit:
        return 409, {"detail": _("The opportunity was changed by someone else: reload it.")}


class PerformanceQuery(Schema):
    month: s.Text = Field("", description="YYYY-MM; this month when empty", examples=["2026-11"])


@router.get("/rm-performance", response=s.responses({200: list[s.RmPerformanceOut]}, 400, 403))
def rm_performance(request: AuthenticatedRequest, query: Query[PerformanceQuery]) -> list[Any]:
    """Each RM's month against their targets: an RM their own, a branch manager their RMs."""
    _view(request)
    if query.month:
        try:
            month = dt.date.fromisoformat(query.month + "-01")
        except ValueError:
            raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
    else:
        month = timezone.localdate().replace(day=1)
    return performance.rm_performance(user=request.user, month=month)
