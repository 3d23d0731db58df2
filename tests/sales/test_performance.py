"""RM performance for a month, against targets; targets from the form and the import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bankcrm.insights.models import AumMonthly
from bankcrm.interactions.models import TaskSource
from bankcrm.sales import imports, services
from bankcrm.sales.models import RmTarget
from bankcrm.sales.performance import rm_performance
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    InteractionFactory,
    OpportunityFactory,
    ProductFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def test_an_rms_month_adds_up_against_the_target(bank):
    today = timezone.localdate()
    month = today.replace(day=1)
    prev = (month - dt.timedelta(days=1)).replace(day=1)
    new = CustomerFactory(branch=bank.beijing, rm=bank.rm, onboarded_on=month)
    AccountFactory(customer=new, opened_on=month)
    AccountFactory(customer=bank.mine, opened_on=prev)
    AumMonthly.objects.create(month=month, branch=bank.beijing, rm=bank.rm, aum=Decimal("300"))
    AumMonthly.objects.create(month=prev, branch=bank.beijing, rm=bank.rm, aum=Decimal("100"))
    product = ProductFactory(code="TDX", category="time_deposit")
    won = services.opportunity_create(
        actor=bank.rm, customer=bank.mine, product=product, expected_amount=Decimal("5000")
    )
    for stage in ("contacted", "needs_assessed", "proposal", "application", "won"):
        won = services.opportunity_move(actor=bank.rm, opportunity=won, stage=stage)
    lost = services.opportunity_create(
        actor=bank.rm, customer=new, product=product, expected_amount=Decimal("7000")
    )
    services.opportunity_move(actor=bank.rm, opportunity=lost, stage="contacted")
    services.opportunity_move(actor=bank.rm, opportunity=lost, stage="lost", lost_reason="price")
    InteractionFactory(customer=bank.mine, staff=bank.rm)
    TaskFactory(
        customer=bank.mine,
        assignee=bank.rm,
        source=TaskSource.RETENTION,
        status="done",
        completed_at=timezone.now(),
    )
    services.lead_create(
        actor=bank.rm2,
        data={
            "name": "钱进",
            "mobile": "13955556666",
            "source": "staff_referral",
            "referrer_staff": bank.rm,
        },
    )
    services.target_set(
        actor=bank.manager, rm=bank.rm, month=today, values={"pipeline_won": Decimal("10000")}
    )
    (row,) = rm_performance(user=bank.rm, month=today)
    assert (row.new_customers, row.products_sold, row.customers, row.products_held) == (1, 1, 2, 2)
    assert row.aum_growth == Decimal("200")
    assert (row.won, row.lost, row.pipeline_won) == (1, 1, Decimal("5000"))
    assert row.conversion["identified"] == 0.5 and row.conversion["proposal"] == 1.0
    assert row.activities == 1 and row.retained_at_risk == 1 and row.referrals == 1
    assert row.cross_sell_ratio == 1.0 and row.against("pipeline_won") == 0.5


def test_targets_import_is_all_or_nothing_with_row_errors(bank):
    bad = (
        "rm,month,new_customers,aum_growth\n"
        "rm_a,2026-11,5,100000\nrm_b,2026-13,1,1\nrm_sh,2026-11,1,1\n"
    )
    result = imports.targets_import(actor=bank.manager, data=bad.encode())
    assert [(e.line, e.column) for e in result.errors] == [(3, "month"), (4, "rm")]
    assert not RmTarget.objects.exists()
    ok = imports.targets_import(
        actor=bank.manager, data=b"rm,month,new_customers\nrm_a,2026-11,5\n"
    )
    assert ok.saved == 1
    assert RmTarget.objects.get().new_customers == 5


def test_the_branch_managers_page_shows_the_rms_side_by_side(bank, login):
    OpportunityFactory(customer=bank.other)
    html = login(bank.manager).get("/sales/performance/").content.decode()
    assert bank.rm.display_name in html and bank.rm2.display_name in html
    assert "data-figure" in html
