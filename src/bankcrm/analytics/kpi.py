"""KPI formulas of the bank CRM, each with its definition. Pure Python: no Django.

Every dashboard figure is computed by one of these functions from counts or sums that the
insights app reads from the database, so the definitions live in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def retention_rate(*, start_count: int, end_count: int, new_count: int) -> float | None:
    """Customer retention rate, CRR = (E − N) / S.

    S is the number of customers at the start of the period, E the number at its end and N
    the number acquired during it. Returns None when S is 0 (undefined).
    """
    if start_count <= 0:
        return None
    return (end_count - new_count) / start_count


def churn_rate(*, start_count: int, lost_count: int) -> float | None:
    """Churn rate = L / S: customers lost during the period over customers at its start.

    A customer is lost when the relationship closed during the period. Returns None when S is 0.
    """
    if start_count <= 0:
        return None
    return lost_count / start_count


def cross_sell_ratio(*, product_holdings: int, customers: int) -> float | None:
    """Products per customer = distinct (customer, product) holdings / customers holding any."""
    if customers <= 0:
        return None
    return product_holdings / customers


def total_aum(balances: Iterable[Decimal]) -> Decimal:
    """AUM = the sum of deposit and investment balances (loans and cards excluded)."""
    return sum(balances, Decimal("0"))


def growth_rate(*, previous: Decimal | float, current: Decimal | float) -> float | None:
    """Period-over-period growth = (current − previous) / previous; None when previous is 0."""
    if not previous:
        return None
    return float((Decimal(str(current)) - Decimal(str(previous))) / Decimal(str(previous)))


def customer_acquisition_cost(*, spend: Decimal, new_customers: int) -> Decimal | None:
    """CAC = acquisition spend over the period / customers acquired in it."""
    if new_customers <= 0:
        return None
    return (spend / new_customers).quantize(Decimal("0.01"))
