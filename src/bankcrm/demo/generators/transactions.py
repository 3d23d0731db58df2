"""The transactions of one chunk: every money flow, in a fixed order, then sorted and numbered."""

from __future__ import annotations

import numpy as np

from bankcrm.banking.models import Transaction
from bankcrm.demo.arrays import local_seconds, seconds_to_datetimes
from bankcrm.demo.codes import CHANNELS, COUNTERPARTIES, DESCRIPTIONS, DIRECTIONS, TXN_TYPES
from bankcrm.demo.columns import Batch, Cat, Cents, Counters
from bankcrm.demo.generators.flows import TxnContext, TxnParts
from bankcrm.demo.generators.payments import add_everyday_payments
from bankcrm.demo.generators.scheduled import (
    add_income,
    add_interest,
    add_investment_moves,
    add_repayments,
)

# The flows in the order they draw from the chunk's random stream.
FLOWS = (add_income, add_interest, add_repayments, add_investment_moves, add_everyday_payments)


def make_transactions(*, ctx: TxnContext, counters: Counters) -> Batch:
    parts = TxnParts()
    for flow in FLOWS:
        flow(ctx, parts)
    return _txn_batch(counters=counters, cols=parts.columns(), ctx=ctx)


def _txn_batch(*, counters: Counters, cols: dict[str, np.ndarray], ctx: TxnContext) -> Batch:
    """Transactions ordered by customer, time and type, numbered in that order."""
    utc = local_seconds(cols["day"], cols["second"])
    order = np.lexsort((cols["type"], utc, cols["cust"]))
    ids = counters.take(Transaction, len(order))
    return Batch(
        Transaction,
        {
            "id": ids,
            "txn_id": [f"T{i:012d}" for i in ids.tolist()],
            "account_id": ctx.acc.id[cols["account"][order]],
            "customer_id": ctx.cust.id[cols["cust"][order]],
            "booked_at": seconds_to_datetimes(utc[order]),
            "amount": Cents(cols["cents"][order]),
            "direction": Cat(cols["direction"][order], DIRECTIONS),
            "txn_type": Cat(cols["type"][order], TXN_TYPES),
            "counterparty_category": Cat(cols["counterparty"][order], COUNTERPARTIES),
            "channel": Cat(cols["channel"][order], CHANNELS),
            "description": Cat(cols["description"][order], DESCRIPTIONS),
        },
    )
