"""Reassigning portfolios: tasks and opportunities move with the customers, the history is
kept, everything audited; a branch manager only within their branch."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from bankcrm.core.models import AuditEvent
from bankcrm.customers.models import Customer, RmAssignment
from bankcrm.interactions.models import Task
from bankcrm.sales.models import Opportunity
from bankcrm.sales.services import portfolio_reassign
from tests.factories import CustomerFactory, OpportunityFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _portfolio(bank, n: int = 3):
    out = []
    for _ in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=bank.rm)
        RmAssignment.objects.create(
            customer=c, rm=bank.rm, branch=bank.beijing, started_on="2024-01-01"
        )
        TaskFactory(customer=c, assignee=bank.rm)
        TaskFactory(customer=c, assignee=bank.rm, status="done")
        OpportunityFactory(customer=c)
        OpportunityFactory(customer=c, stage="won", product__code=f"W{c.pk}")
        out.append(c)
    return out


def test_an_rm_leaving_hands_everything_open_to_the_new_rm(bank, login):
    from tests.factories import LeadFactory

    customers = _portfolio(bank)
    lead = LeadFactory(rm=bank.rm, branch=bank.beijing)
    client = login(bank.manager)
    response = client.post(
        "/sales/portfolio/", {"from_rm": bank.rm.pk, "to_rm": bank.rm2.pk, "reason": "离职"}
    )
    assert response.status_code == 302
    ids = [c.pk for c in customers] + [bank.mine.pk]
    assert set(Customer.objects.filter(pk__in=ids).values_list("rm_id", flat=True)) == {bank.rm2.pk}
    open_tasks = Task.objects.filter(customer_id__in=ids, status="open")
    assert set(open_tasks.values_list("assignee_id", flat=True)) == {bank.rm2.pk}
    done = Task.objects.filter(customer_id__in=ids, status="done")
    assert set(done.values_list("assignee_id", flat=True)) == {bank.rm.pk}  # history stays
    opps = Opportunity.objects.filter(customer_id__in=ids)
    assert set(opps.filter(stage="identified").values_list("rm_id", flat=True)) == {bank.rm2.pk}
    assert set(opps.filter(stage="won").values_list("rm_id", flat=True)) == {bank.rm.pk}
    history = RmAssignment.objects.filter(customer=customers[0]).order_by("id")
    assert [(h.rm_id, h.ended_on is None) for h in history] == [
        (bank.rm.pk, False),
        (bank.rm2.pk, True),
    ]
    summary = AuditEvent.objects.get(object_type="sales.portfolio")
    assert summary.changes["customers"] == 4 and summary.changes["tasks"] == 3
    assert summary.changes["opportunities"] == 3 and summary.changes["leads"] == 1
    lead.refresh_from_db()
    assert lead.rm == bank.rm2
    assert AuditEvent.objects.filter(object_type="customers.customer", action="update").count() == 4


def test_a_branch_manager_cannot_hand_customers_to_another_branch(bank):
    with pytest.raises(PermissionDenied):
        portfolio_reassign(actor=bank.manager, customers=[bank.mine], to_rm=bank.rm_sh)
    assert Customer.objects.get(pk=bank.mine.pk).rm == bank.rm


def test_the_customer_lists_bulk_reassign_moves_opportunities_too(bank, login):
    opp = OpportunityFactory(customer=bank.mine)
    task = TaskFactory(customer=bank.mine, assignee=bank.rm)
    response = login(bank.manager).post(
        "/customers/bulk/reassign/", {"rm": bank.rm2.pk, "ids": [bank.mine.pk]}
    )
    assert response.status_code == 302
    opp.refresh_from_db()
    task.refresh_from_db()
    assert (opp.rm, task.assignee) == (bank.rm2, bank.rm2)
