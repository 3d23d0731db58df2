"""The whole bank as a stream of batches: the bank's own tables, then customer chunk by chunk.

Customers are generated in fixed-size chunks, each from its own seeded random stream with
vectorised numpy; within a chunk the generators draw in the order :func:`generate_chunk`
calls them, so the same plan always gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from django.db import models

from bankcrm.banking.models import Account, BalanceSnapshot, Product, Transaction
from bankcrm.core.models import Branch, User
from bankcrm.customers.models import (
    ConsentEvent,
    Customer,
    GroupMembership,
    RelationshipGroup,
    RmAssignment,
)
from bankcrm.demo.arrays import days_to_dates, nullable_days
from bankcrm.demo.columns import Batch, Counters
from bankcrm.demo.generators.accounts import account_rows, make_accounts
from bankcrm.demo.generators.balances import (
    activity,
    balance_now,
    balance_rows,
    balances,
    customer_aum,
)
from bankcrm.demo.generators.bank import bank_batches
from bankcrm.demo.generators.contacts import (
    make_consents,
    make_groups,
    make_interactions,
    make_tasks,
)
from bankcrm.demo.generators.customers import Customers, make_customers
from bankcrm.demo.generators.flows import TxnContext
from bankcrm.demo.generators.identities import customer_rows
from bankcrm.demo.generators.transactions import make_transactions
from bankcrm.demo.models import CustomerTruth
from bankcrm.demo.plan import CHUNK_SIZE, BankPlan, chunk_rng
from bankcrm.interactions.models import Interaction, Task

# Tables in the order they are written (parents first) and emptied (children first).
WRITTEN_MODELS: tuple[type[models.Model], ...] = (
    Branch,
    User,
    Product,
    Customer,
    CustomerTruth,
    RmAssignment,
    RelationshipGroup,
    GroupMembership,
    ConsentEvent,
    Account,
    BalanceSnapshot,
    Transaction,
    Interaction,
    Task,
)


def _assignment_rows(*, plan: BankPlan, cust: Customers, counters: Counters) -> Batch:
    """Each customer's RM from onboarding, ended when the customer left."""
    branch_ids = np.array([b.id for b in plan.branches], dtype=np.int64)
    n = len(cust.id)
    return Batch(
        RmAssignment,
        {
            "id": counters.take(RmAssignment, n),
            "customer_id": cust.id,
            "rm_id": cust.rm,
            "branch_id": branch_ids[cust.branch],
            "started_on": days_to_dates(cust.on),
            "ended_on": nullable_days(cust.left, cust.gone),
            "reason": ["开户分配"] * n,
        },
    )


def generate_chunk(
    *, plan: BankPlan, index: int, first: int, size: int, counters: Counters
) -> list[Batch]:
    """All rows of customers first … first+size-1 (0-based), in write order; pure."""
    rng = chunk_rng(config=plan.config, index=index)
    ids = np.arange(first + 1, first + size + 1, dtype=np.int64) + plan.bases.get(Customer, 0)
    cust = make_customers(rng=rng, plan=plan, ids=ids)
    acc = make_accounts(rng=rng, plan=plan, cust=cust, counters=counters)
    lo, hi, factor = activity(plan=plan, cust=cust)
    cents, exists = balances(rng=rng, plan=plan, cust=cust, acc=acc, factor=factor)
    balance = balance_now(acc, cents)
    aum = customer_aum(n=len(ids), acc=acc, balance=balance)

    batches = customer_rows(rng=rng, plan=plan, cust=cust, aum=aum)
    batches.append(_assignment_rows(plan=plan, cust=cust, counters=counters))
    batches += make_groups(plan=plan, cust=cust, counters=counters)
    batches.append(make_consents(rng=rng, plan=plan, cust=cust, counters=counters))
    batches.append(account_rows(plan=plan, cust=cust, acc=acc, balance=balance))
    batches.append(
        balance_rows(plan=plan, cust=cust, acc=acc, cents=cents, exists=exists, counters=counters)
    )
    ctx = TxnContext(
        rng=rng,
        plan=plan,
        cust=cust,
        acc=acc,
        cents=cents,
        exists=exists,
        lo=lo,
        hi=hi,
        factor=factor,
    )
    batches.append(make_transactions(ctx=ctx, counters=counters))
    batches.append(make_interactions(rng=rng, plan=plan, cust=cust, counters=counters))
    batches.append(make_tasks(rng=rng, plan=plan, cust=cust, counters=counters))
    return batches


def iter_bank(*, plan: BankPlan, password_hash: str) -> Iterator[tuple[int, list[Batch]]]:
    """(customers in this step, batches) for the plan's tables, then chunk by chunk."""
    yield 0, bank_batches(plan=plan, password_hash=password_hash)
    counters = Counters({m: plan.bases.get(m, 0) + 1 for m in WRITTEN_MODELS})
    total = plan.config.customers
    for index, first in enumerate(range(0, total, CHUNK_SIZE)):
        size = min(CHUNK_SIZE, total - first)
        yield (
            size,
            generate_chunk(plan=plan, index=index, first=first, size=size, counters=counters),
        )
