"""KPI formulas on hand-worked numbers."""

from decimal import Decimal

import pytest

from bankcrm.analytics import kpi


def test_retention_rate_hand_worked():
    # Start 200 customers, end 210, of which 30 were acquired during the period:
    # CRR = (210 - 30) / 200 = 0.9
    assert kpi.retention_rate(start_count=200, end_count=210, new_count=30) == pytest.approx(0.9)


def test_retention_rate_undefined_without_customers_at_start():
    assert kpi.retention_rate(start_count=0, end_count=5, new_count=5) is None


def test_churn_rate_hand_worked():
    # 20 of 200 customers at the start left: 10 %.
    assert kpi.churn_rate(start_count=200, lost_count=20) == pytest.approx(0.1)
    assert kpi.churn_rate(start_count=0, lost_count=0) is None


def test_cross_sell_ratio_hand_worked():
    # 3 customers holding 2, 1 and 4 distinct products: 7 / 3.
    assert kpi.cross_sell_ratio(product_holdings=7, customers=3) == pytest.approx(7 / 3)
    assert kpi.cross_sell_ratio(product_holdings=0, customers=0) is None


def test_total_aum_and_growth():
    assert kpi.total_aum([Decimal("1.10"), Decimal("2.20")]) == Decimal("3.30")
    assert kpi.growth_rate(previous=Decimal("100"), current=Decimal("125")) == pytest.approx(0.25)
    assert kpi.growth_rate(previous=0, current=5) is None


def test_cac_hand_worked():
    assert kpi.customer_acquisition_cost(spend=Decimal("10000"), new_customers=3) == Decimal(
        "3333.33"
    )
    assert kpi.customer_acquisition_cost(spend=Decimal("1"), new_customers=0) is None
