"""Customer endpoints: search, detail, 360, reveal, and adding to the timeline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from bankcrm.api import schemas as s
from bankcrm.core.masking import mask_mobile, mask_resident_id
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.customers import selectors, services
from bankcrm.customers.models import Customer
from bankcrm.insights.labels import CHURN_BANDS, LIFE_STAGES, SEGMENTS, STAGES
from bankcrm.insights.models import SCORE_FIELDS
from bankcrm.interactions import services as timeline_services

router = Router(tags=["customers"])
AUM_LIMIT = Decimal(10**16)


def customer_summary(c: Customer) -> dict[str, Any]:
    return {
        "id": c.pk,
        "customer_no": c.customer_no,
        "kind": c.kind,
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "mobile_masked": mask_mobile(c.mobile),
        "id_number_masked": mask_resident_id(c.id_number),
        "status": c.status,
        "tier": c.tier,
        "aum": c.aum,
        "branch_id": c.branch_id,
        "rm_id": c.rm_id,
    }


def customer_detail(c: Customer) -> dict[str, Any]:
    out = customer_summary(c)
    out.update(
        {
            f: getattr(c, f)
            for f in (
                "gender",
                "birth_date",
                "id_type",
                "email",
                "address",
                "occupation",
                "income_band",
                "kyc_status",
                "kyc_date",
                "risk_appetite",
                "risk_assessed_on",
                "risk_expires_on",
                "onboarded_on",
                "onboarding_channel",
                "closed_on",
            )
        }
    )
    out["branch"] = c.branch
    out["rm"] = (
        {
            "id": c.rm.pk,
            "username": c.rm.username,
            "display_name": c.rm.display_name,
            "role": c.rm.role,
        }
        if c.rm
        else None
    )
    return out


class CustomerQuery(Schema):
    q: s.Text = ""
    branch: s.DbInt | None = None
    rm: s.DbInt | None = None
    status: s.Text = ""
    risk: s.Text = ""
    tier: s.Text = ""
    # The AUM column holds 16 digits before the point; a bound past them cannot be compared.
    aum_min: Decimal | None = Field(None, gt=-AUM_LIMIT, lt=AUM_LIMIT)
    aum_max: Decimal | None = Field(None, gt=-AUM_LIMIT, lt=AUM_LIMIT)
    segment: s.Text = Field(
        "", description="RFM segment in the newest analytics run", examples=list(SEGMENTS)
    )
    lifecycle: s.Text = Field(
        "", description="lifecycle stage in the newest analytics run", examples=list(STAGES)
    )
    life_stage: s.Text = Field(
        "", description="life stage in the newest analytics run", examples=list(LIFE_STAGES)
    )
    churn: s.Text = Field(
        "", description="churn risk band: high, elevated or low", examples=list(CHURN_BANDS)
    )
    sort: s.Text = Field("customer_no", examples=list(selectors.SORTS))
    cursor: s.Text | None = None
    limit: int = 50


@router.get("/customers", response=s.responses({200: s.CustomerPage}))
def list_customers(request: AuthenticatedRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    """Search customers in your scope; follow `next_cursor` for the next page."""
    filters = selectors.CustomerFilters(
        q=query.q,
        branch=query.branch,
        rm=query.rm,
        status=query.status,
        risk=query.risk,
        tier=query.tier,
        aum_min=query.aum_min,
        aum_max=query.aum_max,
        segment=query.segment if query.segment in SEGMENTS else "",
        lifecycle=query.lifecycle if query.lifecycle in STAGES else "",
        life_stage=query.life_stage if query.life_stage in LIFE_STAGES else "",
        churn=query.churn if query.churn in CHURN_BANDS else "",
        sort=query.sort if query.sort in selectors.SORTS else "customer_no",
    )
    page = selectors.customer_list(
        user=request.user,
        filters=filters,
        cursor=query.cursor,
        size=max(1, min(query.limit, 200)),
    )
    return {"items": [customer_summary(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/customers/{customer_id}", response=s.responses({200: s.CustomerDetailOut}, 404))
def get_customer(request: AuthenticatedRequest, customer_id: s.Id) -> dict[str, Any]:
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    services.customer_viewed(actor=request.user, customer=c, purpose="api customer detail")
    return customer_detail(c)


@router.get("/customers/{customer_id}/360", response=s.responses({200: s.Customer360Out}, 404))
def get_customer_360(request: AuthenticatedRequest, customer_id: s.Id) -> dict[str, Any]:
    """Profile, consents, holdings and AUM trend, transactions, channel mix and timeline."""
    v = selectors.customer_360(
        user=request.user, customer_id=customer_id, today=timezone.localdate()
    )
    services.customer_viewed(actor=request.user, customer=v.customer, purpose="api 360")
    return {
        "customer": customer_detail(v.customer),
        "consents": [vars(c) for c in v.consents],
        "groups": [
            {"group_id": m.group_id, "name": m.group.name, "kind": m.group.kind, "role": m.role}
            for m in v.memberships
        ],
        "accounts": [
            {
                "account_no": a.account_no,
                "product_code": a.product.code,
                "product_name": a.product.display_name,
                "category": a.product.category,
                "risk_level": a.product.risk_level,
                "currency": a.currency,
                "balance": a.balance,
                "status": a.status,
                "opened_on": a.opened_on,
                "closed_on": a.closed_on,
            }
            for a in v.accounts
        ],
        "aum": v.aum,
        "deposits": v.deposits,
        "investments": v.investments,
        "liabilities": v.liabilities,
        "aum_trend": [{"month": m, "aum": a} for m, a in v.aum_trend],
        "recent_transactions": [
            {
                "txn_id": t.txn_id,
                "account_no": t.account.account_no,
                "booked_at": t.booked_at,
                "amount": t.amount,
                "direction": t.direction,
                "txn_type": t.txn_type,
                "counterparty_category": t.counterparty_category,
                "channel": t.channel,
            }
            for t in v.transactions
        ],
        "channel_mix": [{"channel": ch, "count": n} for ch, n in v.channel_mix],
        "interactions": v.interactions,
        "tasks": v.tasks,
    }


@router.post(
    "/customers/{customer_id}/reveal", response=s.responses({200: s.RevealOut}, 400, 403, 404)
)
def reveal(request: AuthenticatedRequest, customer_id: s.Id, payload: s.RevealIn) -> dict[str, Any]:
    """Reveal a full ID number or mobile; a reason is required and the reveal is audited."""
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    value = services.customer_reveal(
        actor=request.user, customer=c, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


@router.post(
    "/customers/{customer_id}/interactions",
    response=s.responses({201: s.InteractionOut}, 400, 403, 404),
)
def create_interaction(
    request: AuthenticatedRequest, customer_id: s.Id, payload: s.InteractionIn
) -> tuple[int, Any]:
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    i = timeline_services.interaction_create(
        actor=request.user,
        customer=c,
        kind=payload.kind,
        subject=payload.subject,
        notes=payload.notes,
        occurred_at=payload.occurred_at,
    )
    return 201, i


@router.post(
    "/customers/{customer_id}/tasks", response=s.responses({201: s.TaskOut}, 400, 403, 404)
)
def create_task(
    request: AuthenticatedRequest, customer_id: s.Id, payload: s.TaskIn
) -> tuple[int, Any]:
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    t = timeline_services.task_create(
        actor=request.user,
        customer=c,
        title=payload.title,
        due_on=payload.due_on,
        notes=payload.notes,
    )
    return 201, t


@router.get("/customers/{customer_id}/scores", response=s.responses({200: s.ScoreOut}, 404))
def get_scores(request: AuthenticatedRequest, customer_id: s.Id) -> Any:
    """The customer's scores from the newest analytics run, with churn reasons."""
    from bankcrm.insights.selectors import latest_score

    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    score = latest_score(customer_id=c.pk)
    if score is None:
        return 404, {"detail": _("No analytics run has scored this customer yet.")}
    return {
        "run_id": score.run_id,
        "as_of": score.run.as_of,
        "model_version": score.run.model_version,
        **{f: getattr(score, f) for f in SCORE_FIELDS},
    }
