"""The pipeline's rules: probability by stage (configurable), which stage may follow which, and
the suitability check a wealth product must pass before it is proposed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from bankcrm.banking.models import INVESTMENT_CATEGORIES, Product
from bankcrm.customers.models import Customer
from bankcrm.sales.models import CLOSED_STAGES, OPEN_STAGES, Stage

# Chance of winning per stage, in percent; `BANKCRM_SALES_PROBABILITIES` (settings, or the
# environment as JSON) overrides any of them.
DEFAULT_PROBABILITIES: dict[str, int] = {
    Stage.IDENTIFIED: 10,
    Stage.CONTACTED: 20,
    Stage.NEEDS_ASSESSED: 40,
    Stage.PROPOSAL: 60,
    Stage.APPLICATION: 80,
    Stage.WON: 100,
    Stage.LOST: 0,
}


def probabilities() -> dict[str, int]:
    return {**DEFAULT_PROBABILITIES, **getattr(settings, "BANKCRM_SALES_PROBABILITIES", {})}


def probability(stage: str) -> int:
    return int(probabilities().get(stage, 0))


# A stage that may only be reached from the one before it: the proposal's suitability check
# cannot be stepped over on the way to an application or a sale.
GATED = {Stage.APPLICATION: Stage.PROPOSAL, Stage.WON: Stage.APPLICATION}


def transition_error(current: str, target: str, *, lost_reason: str = "") -> str:
    """Why an opportunity at ``current`` may not move to ``target`` ('' when it may)."""
    if target not in Stage.values:
        return _("Unknown stage.")
    if current == target:
        return _("The opportunity is already at this stage.")
    if current in CLOSED_STAGES:
        return _("A won or lost opportunity is closed: open a new one instead.")
    if target == Stage.LOST and not lost_reason:
        return _("Say why the opportunity was lost.")
    gate = GATED.get(Stage(target))
    if gate is not None and current != gate:
        return _("“%(target)s” can only follow “%(gate)s”.") % {
            "target": Stage(target).label,
            "gate": Stage(gate).label,
        }
    return ""


def allowed_targets(current: str) -> list[str]:
    """The stages a move control offers from ``current`` (lost needs its reason too)."""
    return [
        s
        for s in (*OPEN_STAGES, *CLOSED_STAGES)
        if not transition_error(current, s, lost_reason="x")
    ]


RISK_ORDER = {"R1": 1, "R2": 2, "R3": 3, "R4": 4, "R5": 5}


@dataclass(frozen=True)
class Suitability:
    passed: bool
    reason: str  # the exact reason for a refusal; '' when passed
    code: str  # machine-readable: ok, not_assessed, expired, too_risky, not_applicable


def suitability(*, customer: Customer, product: Product, today: dt.date) -> Suitability:
    """The appropriateness rule for wealth products (CBIRC: a product's risk level may not
    exceed the customer's assessed tolerance, and the assessment must be current). Deposits,
    loans and cards are not investment products and pass as not applicable."""
    if product.category not in INVESTMENT_CATEGORIES:
        return Suitability(True, "", "not_applicable")
    if not customer.risk_appetite or not customer.risk_assessed_on:
        return Suitability(
            False,
            _(
                "The customer has no risk assessment: a %(level)s product needs one before "
                "it can be proposed."
            )
            % {"level": product.risk_level},
            "not_assessed",
        )
    if customer.risk_expires_on is not None and customer.risk_expires_on < today:
        return Suitability(
            False,
            _(
                "The customer's risk assessment expired on %(date)s: assess them again before "
                "proposing this product."
            )
            % {"date": customer.risk_expires_on.isoformat()},
            "expired",
        )
    if RISK_ORDER.get(product.risk_level, 9) > RISK_ORDER.get(customer.risk_appetite, 0):
        return Suitability(
            False,
            _(
                "The product's risk level %(product)s is above the customer's assessed "
                "tolerance %(customer)s."
            )
            % {"product": product.risk_level, "customer": customer.risk_appetite},
            "too_risky",
        )
    return Suitability(True, "", "ok")
