"""The pipeline's stage rules and the suitability check, without the database."""

from __future__ import annotations

import datetime as dt

import pytest

from bankcrm.banking.models import Product
from bankcrm.customers.models import Customer
from bankcrm.sales.rules import allowed_targets, probability, suitability, transition_error

TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize(
    "current,target,reason,refused",
    [
        ("identified", "contacted", "", False),
        ("identified", "proposal", "", False),  # stepping forward is allowed up to proposal
        ("proposal", "identified", "", False),  # and back
        ("identified", "application", "", True),  # an application follows a proposal only
        ("needs_assessed", "won", "", True),  # a sale follows an application only
        ("application", "won", "", False),
        ("contacted", "lost", "", True),  # lost needs its reason
        ("contacted", "lost", "price", False),
        ("won", "contacted", "", True),  # closed is closed
        ("lost", "identified", "", True),
        ("contacted", "contacted", "", True),
        ("contacted", "nowhere", "", True),
    ],
)
def test_stage_transitions_follow_the_rules(current, target, reason, refused):
    assert bool(transition_error(current, target, lost_reason=reason)) is refused


def test_the_move_control_offers_only_allowed_stages():
    assert allowed_targets("identified") == [
        "contacted",
        "needs_assessed",
        "proposal",
        "lost",
    ]
    assert allowed_targets("application") == [
        "identified",
        "contacted",
        "needs_assessed",
        "proposal",
        "won",
        "lost",
    ]
    assert allowed_targets("won") == []


def test_probability_by_stage_is_configurable(settings):
    assert probability("proposal") == 60
    settings.BANKCRM_SALES_PROBABILITIES = {"proposal": 55}
    assert probability("proposal") == 55
    assert probability("won") == 100


def _customer(risk: str = "", assessed: dt.date | None = None, expires: dt.date | None = None):
    return Customer(risk_appetite=risk, risk_assessed_on=assessed, risk_expires_on=expires)


FUND_R4 = Product(code="F4", category="fund", risk_level="R4")


def test_a_product_above_the_customers_tolerance_is_refused_with_both_levels():
    c = _customer("R3", dt.date(2026, 6, 1), dt.date(2027, 6, 1))
    result = suitability(customer=c, product=FUND_R4, today=TODAY)
    assert not result.passed and result.code == "too_risky"
    assert "R4" in result.reason and "R3" in result.reason


def test_an_expired_assessment_is_refused_with_its_date():
    c = _customer("R5", dt.date(2025, 6, 1), dt.date(2026, 6, 1))
    result = suitability(customer=c, product=FUND_R4, today=TODAY)
    assert (result.passed, result.code) == (False, "expired")
    assert "2026-06-01" in result.reason


def test_no_assessment_is_refused_and_a_deposit_needs_none():
    assert suitability(customer=_customer(), product=FUND_R4, today=TODAY).code == "not_assessed"
    deposit = Product(code="D", category="time_deposit", risk_level="R1")
    assert suitability(customer=_customer(), product=deposit, today=TODAY).passed


def test_a_product_within_a_current_assessment_passes():
    c = _customer("R4", dt.date(2026, 6, 1), dt.date(2027, 6, 1))
    assert suitability(customer=c, product=FUND_R4, today=TODAY).passed
