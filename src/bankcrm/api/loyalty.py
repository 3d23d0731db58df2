"""Loyalty endpoints: a customer's points, and redeeming or cancelling on their behalf.

POSTs take an ``Idempotency-Key`` header (api.limits): a retried redemption answers the first
response and reserves nothing more. A refusal answers 409 with its reason under its code
(``out_of_stock``, ``insufficient_points``, ``tier_not_eligible``, ``not_available``,
``not_member``, ``already_cancelled``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from ninja import Router

from bankcrm.api import schemas as s
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.customers.selectors import customer_get
from bankcrm.loyalty import selectors, services

router = Router(tags=["loyalty"])


def _refused(exc: services.LoyaltyRefused) -> tuple[int, dict[str, Any]]:
    return 409, {"detail": exc.message, "errors": {exc.code: [exc.message]}}


@router.get("/customers/{customer_id}/loyalty", response=s.responses({200: s.LoyaltyOut}, 404))
def get_loyalty(request: AuthenticatedRequest, customer_id: s.Id) -> selectors.LoyaltySummary:
    """Points balance, tier, points expiring soon, history, redemptions and tier changes."""
    c = customer_get(user=request.user, customer_id=customer_id)
    return selectors.loyalty_summary(customer=c)


@router.post(
    "/customers/{customer_id}/loyalty/redemptions",
    response=s.responses({201: s.RedemptionOut}, 400, 403, 404, 409),
)
def redeem_points(
    request: AuthenticatedRequest, customer_id: s.Id, payload: s.RedeemIn
) -> tuple[int, Any]:
    """Redeem a reward for the customer: points and stock reserved together, or 409 why not."""
    c = customer_get(user=request.user, customer_id=customer_id)
    reward = selectors.reward_get(reward_id=payload.reward_id)
    try:
        redemption = services.redemption_create(
            actor=request.user, customer=c, reward=reward, quantity=payload.quantity
        )
    except services.LoyaltyRefused as exc:
        return _refused(exc)
    return 201, redemption


@router.post(
    "/customers/{customer_id}/loyalty/redemptions/{redemption_id}/cancel",
    response=s.responses({200: s.RedemptionOut}, 400, 403, 404, 409),
)
def cancel_redemption(
    request: AuthenticatedRequest,
    customer_id: s.Id,
    redemption_id: s.Id,
    payload: s.RedemptionCancelIn,
) -> Any:
    """Cancel a redemption: the points come back (a reversing entry) and the stock too."""
    c = customer_get(user=request.user, customer_id=customer_id)
    redemption = selectors.redemption_get(user=request.user, redemption_id=redemption_id)
    if redemption.member.customer_id != c.pk:
        raise Http404
    try:
        return services.redemption_cancel(
            actor=request.user, redemption=redemption, reason=payload.reason
        )
    except services.LoyaltyRefused as exc:
        return _refused(exc)
