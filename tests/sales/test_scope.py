"""Scope: an RM sees only their own leads, opportunities, agenda and figures; a branch manager
their branch; out of scope answers 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bankcrm.sales.performance import rm_performance
from bankcrm.sales.selectors import leads_visible_to, opportunities_visible_to
from tests.factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_rms_and_managers_see_their_own_and_their_branchs_leads_and_opportunities(bank, login):
    mine = LeadFactory(rm=bank.rm, branch=bank.beijing)
    other = LeadFactory(rm=bank.rm2, branch=bank.beijing)
    far = LeadFactory(rm=bank.rm_sh, branch=bank.shanghai)
    o_mine, o_other = (
        OpportunityFactory(customer=bank.mine),
        OpportunityFactory(customer=bank.other),
    )
    OpportunityFactory(customer=bank.far)
    assert set(leads_visible_to(bank.rm)) == {mine}
    assert set(leads_visible_to(bank.manager)) == {mine, other}
    assert set(opportunities_visible_to(bank.rm)) == {o_mine}
    assert set(opportunities_visible_to(bank.manager)) == {o_mine, o_other}
    client = login(bank.rm)
    assert client.get(f"/sales/leads/{other.pk}/").status_code == 404
    assert client.get(f"/sales/leads/{far.pk}/").status_code == 404
    assert client.get(f"/sales/opportunities/{o_other.pk}/").status_code == 404
    assert "李伟" not in client.get("/sales/opportunities/board/").content.decode()


def test_performance_figures_are_the_rms_own_and_the_managers_branch(bank, login):
    month = timezone.localdate().replace(day=1)
    assert [r.rm_id for r in rm_performance(user=bank.rm, month=month)] == [bank.rm.pk]
    assert {r.rm_id for r in rm_performance(user=bank.manager, month=month)} == {
        bank.rm.pk,
        bank.rm2.pk,
    }
    api = login(bank.rm).get("/api/v1/rm-performance", {"month": month.strftime("%Y-%m")})
    assert [r["rm_id"] for r in api.json()] == [bank.rm.pk]
    assert login(bank.rm).get("/api/v1/rm-performance", {"month": "2026-13"}).status_code == 400


def test_search_finds_leads_and_opportunities_within_scope_only(bank, login):
    LeadFactory(rm=bank.rm, branch=bank.beijing, name="欧阳娜娜")
    LeadFactory(rm=bank.rm_sh, branch=bank.shanghai, name="欧阳锋")
    html = login(bank.rm).get("/search/", {"q": "欧阳"}).content.decode()
    assert "欧阳娜娜" in html and "欧阳锋" not in html
    assert dt.date.today()  # the search page answered for the day's data
