"""Dashboard figures from the database on a hand-worked bank."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from bankcrm.insights.selectors import Period, dashboard
from bankcrm.insights.services import dashboard_summaries_refresh
from tests.factories import AccountFactory, CustomerFactory, ProductFactory, SnapshotFactory

TODAY = dt.date(2026, 6, 15)
PERIOD = Period(start=dt.date(2026, 1, 1), end=TODAY)


@pytest.fixture
def small_bank(bank):
    b, rm = bank.beijing, bank.rm
    # bank.mine: onboarded 2020 (counts in S and E).
    CustomerFactory(branch=b, rm=rm, onboarded_on=dt.date(2019, 5, 1))  # in S, E
    CustomerFactory(
        branch=b,
        rm=rm,
        onboarded_on=dt.date(2018, 5, 1),
        status="closed",
        closed_on=dt.date(2026, 3, 1),
    )  # in S, lost
    CustomerFactory(branch=b, rm=rm, onboarded_on=dt.date(2026, 2, 1))  # new, in E
    CustomerFactory(branch=b, rm=rm, onboarded_on=dt.date(2026, 6, 2), aum=Decimal("60000"))
    return bank


def test_retention_churn_and_new_customers_hand_worked(small_bank):
    d = dashboard(user=small_bank.rm, period=PERIOD, today=TODAY)
    # S = 3 (mine, 2019, 2018); E = 4 (mine, 2019, Feb, June); N = 2; lost = 1.
    assert (d.start_count, d.end_count, d.new_in_period, d.lost_in_period) == (3, 4, 2, 1)
    assert d.retention_rate == pytest.approx((4 - 2) / 3)
    assert d.churn_rate == pytest.approx(1 / 3)
    assert d.new_this_month == 1
    assert d.customers == 4  # the closed one is not counted


def test_cross_sell_and_aum_by_tier(bank):
    deposit = ProductFactory(code="DEP", category="deposit")
    fund = ProductFactory(code="FUND", category="fund", risk_level="R3")
    AccountFactory(customer=bank.mine, product=deposit)
    AccountFactory(customer=bank.mine, product=deposit)  # same product twice counts once
    AccountFactory(customer=bank.mine, product=fund)
    AccountFactory(customer=bank.other, product=deposit)
    AccountFactory(customer=bank.far, product=fund)  # outside the manager's branch
    dashboard_summaries_refresh()
    d = dashboard(user=bank.manager, period=PERIOD, today=TODAY)
    assert d.cross_sell_ratio == pytest.approx(3 / 2)
    tiers = {code: n for code, _label, _aum, n in d.aum_by_tier}
    assert tiers["mass"] == 2 and tiers["gold"] == 0


def test_aum_trend_sums_snapshots_in_scope(bank):
    m = dt.date(2026, 5, 1)
    SnapshotFactory(account=AccountFactory(customer=bank.mine), month=m, balance=Decimal("1.50"))
    SnapshotFactory(account=AccountFactory(customer=bank.far), month=m, balance=Decimal("7"))
    assert dashboard_summaries_refresh() == 2
    rm_trend = dict(dashboard(user=bank.rm, period=PERIOD, today=TODAY).aum_trend)
    all_trend = dict(dashboard(user=bank.admin, period=PERIOD, today=TODAY).aum_trend)
    assert rm_trend[m] == Decimal("1.50") and all_trend[m] == Decimal("8.50")
    assert len(rm_trend) == 24


def test_dashboard_page_renders_charts_for_every_role(bank, login):
    for role in ("rm", "branch_manager", "marketing", "service", "compliance", "admin"):
        html = login(bank.user(role)).get(reverse("web:dashboard"), {"months": 6}).content.decode()
        assert 'data-testid="chart-aum-trend"' in html and "plotly.min.js" in html


def test_summary_rebuild_replaces_old_rows_and_skips_loans(bank):
    m = dt.date(2026, 5, 1)
    loan = ProductFactory(code="LOAN", category="loan")
    SnapshotFactory(account=AccountFactory(customer=bank.mine), month=m, balance=Decimal("5"))
    SnapshotFactory(
        account=AccountFactory(customer=bank.mine, product=loan),
        month=m,
        balance=Decimal("900"),
        counts_to_aum=False,
    )
    dashboard_summaries_refresh()
    dashboard_summaries_refresh()
    trend = dict(dashboard(user=bank.manager, period=PERIOD, today=TODAY).aum_trend)
    assert trend[m] == Decimal("5.00")
