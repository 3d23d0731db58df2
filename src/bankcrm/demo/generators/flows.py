"""Transactions being assembled: what each kind of money flow reads, and the parts it adds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bankcrm.demo.generators.accounts import Accounts
from bankcrm.demo.generators.customers import Customers
from bankcrm.demo.plan import BankPlan
from bankcrm.demo.products import CATEGORY

# The columns of assembled transactions, in the order TxnParts holds them.
TXN_COLUMNS = (
    "cust",
    "account",
    "day",
    "second",
    "cents",
    "direction",
    "type",
    "counterparty",
    "channel",
    "description",
)


@dataclass
class TxnContext:
    """One chunk's customers, accounts and balances, as the flows read them."""

    rng: np.random.Generator
    plan: BankPlan
    cust: Customers
    acc: Accounts
    cents: np.ndarray  # month-end balances (accounts × months)
    exists: np.ndarray  # which (account, month) cells exist
    lo: np.ndarray  # first active day per customer × month
    hi: np.ndarray  # last active day per customer × month
    factor: np.ndarray  # activity factor per customer × month

    @property
    def demand(self) -> np.ndarray:
        """Per customer, the account index of their demand deposit."""
        return self.acc.demand

    @property
    def category(self) -> np.ndarray:
        """Per account, its product's category."""
        return CATEGORY[self.acc.product]

    @property
    def age_group(self) -> np.ndarray:
        """Per customer: 0 young (under 35), 1 middle, 2 older (55 and over)."""
        age = self.cust.age
        return np.where(age < 35, 0, np.where(age < 55, 1, 2))


@dataclass
class TxnParts:
    """Columns of transactions being assembled (all the same length)."""

    cust: list[np.ndarray] = field(default_factory=list)
    account: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    second: list[np.ndarray] = field(default_factory=list)
    cents: list[np.ndarray] = field(default_factory=list)
    direction: list[np.ndarray] = field(default_factory=list)
    type: list[np.ndarray] = field(default_factory=list)
    counterparty: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    description: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        *,
        cust: np.ndarray,
        account: np.ndarray,
        day: np.ndarray,
        second: np.ndarray,
        amount: np.ndarray,
        direction: np.ndarray | int,
        type: np.ndarray | int,
        counterparty: np.ndarray | int,
        channel: np.ndarray | int,
        description: np.ndarray | int,
    ) -> None:
        k = len(cust)
        if k == 0:
            return
        self.cust.append(cust)
        self.account.append(account)
        self.day.append(day)
        self.second.append(second)
        self.cents.append(np.maximum(np.rint(np.asarray(amount) * 100).astype(np.int64), 1))
        for name, value in (
            ("direction", direction),
            ("type", type),
            ("counterparty", counterparty),
            ("channel", channel),
            ("description", description),
        ):
            getattr(self, name).append(np.broadcast_to(np.asarray(value, dtype=np.int64), k))

    def columns(self) -> dict[str, np.ndarray]:
        """The parts joined, one array per column (empty when nothing was added)."""
        if not self.cust:
            return {name: np.zeros(0, dtype=np.int64) for name in TXN_COLUMNS}
        return {name: np.concatenate(getattr(self, name)) for name in TXN_COLUMNS}
