"""Customer endpoints: search, detail, 360, reveal, and adding to the timeline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from bankcrm.api import schemas as s
from bankcrm.banking import selectors as banking_selectors
from bankcrm.banking import services as banking_services
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.core.pii import role_view
from bankcrm.customers import selectors, services
from bankcrm.customers.models import Customer
from bankcrm.insights.labels import CHURN_BANDS, LIFE_STAGES, SEGMENTS, STAGES
from bankcrm.insights.selectors import latest_score
from bankcrm.interactions import services as timeline_services
from bankcrm.profile import (
    CustomerProfile,
    customer_filters,
    customer_profile,
    customer_search,
)

router = Router(tags=["customers"])
AUM_LIMIT = Decimal(10**16)


class CustomerQuery(Schema):
    q: s.Text = Field(
        "",
        description="name, customer number, last 4 of an ID; a whole mobile or ID number, or "
        "more of an ID, only for roles that may reveal (audited, rate-limited per user)",
    )
    reason: s.Text = Field("", description="why an identifier search is made (audited)")
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


@router.get("/customers", response=s.responses({200: s.CustomerPage}, 400, 403, 429))
def list_customers(request: AuthenticatedRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    """Search customers in your scope; follow `next_cursor` for the next page."""
    page = customer_search(
        user=request.user,
        filters=customer_filters(query.dict()),
        cursor=query.cursor,
        size=max(1, min(query.limit, 200)),
        reason=query.reason,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/customers/{customer_id}", response=s.responses({200: s.CustomerDetailOut}, 404))
def get_customer(request: AuthenticatedRequest, customer_id: s.Id) -> Customer:
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    services.customer_viewed(actor=request.user, customer=c, purpose="api customer detail")
    return role_view(c, request.user.role)


@router.get("/customers/{customer_id}/360", response=s.responses({200: s.Customer360Out}, 404))
def get_customer_360(request: AuthenticatedRequest, customer_id: s.Id) -> CustomerProfile:
    """Profile, consents, holdings and AUM trend, transactions, channel mix, timeline and
    scores: the same read as the 360 page."""
    profile = customer_profile(
        user=request.user, customer_id=customer_id, today=timezone.localdate()
    )
    services.customer_viewed(actor=request.user, customer=profile.customer, purpose="api 360")
    return profile


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
    "/customers/{customer_id}/accounts/{account_id}/reveal",
    response=s.responses({200: s.AccountRevealOut}, 400, 403, 404),
)
def reveal_account(
    request: AuthenticatedRequest, customer_id: s.Id, account_id: s.Id, payload: s.AccountRevealIn
) -> dict[str, Any]:
    """Reveal a full account or card number; a reason is required and the reveal is audited."""
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    account = banking_selectors.account_get(customer=c, account_id=account_id)
    value = banking_services.account_reveal(
        actor=request.user, account=account, reason=payload.reason
    )
    return {"account_id": account.pk, "account_no": value}


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
    c = selectors.customer_get(user=request.user, customer_id=customer_id)
    score = latest_score(customer_id=c.pk)
    if score is None:
        return 404, {"detail": _("No analytics run has scored this customer yet.")}
    return score
