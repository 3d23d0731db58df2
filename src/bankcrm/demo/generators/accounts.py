"""The accounts of one chunk: which products each customer holds, when opened and closed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bankcrm.banking.models import Account
from bankcrm.demo.arrays import NAT, days_to_dates, nullable_days
from bankcrm.demo.codes import (
    ACCOUNT_STATUSES,
    DECLINING,
    DORMANT,
    GROWING,
    ONBOARDING_CHANNELS,
    STABLE,
)
from bankcrm.demo.columns import Batch, Cat, Cents, Counters
from bankcrm.demo.generators.customers import Customers
from bankcrm.demo.plan import BankPlan
from bankcrm.demo.products import (
    ACCOUNT_PREFIX,
    CATEGORY,
    MIN_AMOUNT,
    PRODUCT_INDEX,
    RISK,
    SELLABLE,
    TERM,
)

# At most this many accounts per customer besides the demand deposit.
MAX_HOLDINGS = 4


@dataclass
class Accounts:
    id: np.ndarray
    cust: np.ndarray  # index into the chunk's customers
    product: np.ndarray  # index into PRODUCTS
    opened: np.ndarray
    closed: np.ndarray  # NAT when open
    principal: np.ndarray  # loans: amount lent
    demand: np.ndarray  # per customer: the account index of their demand deposit
    card: np.ndarray  # per customer: account index of their credit card, -1 if none


def _choose_product(
    rng: np.random.Generator, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly random eligible product per row (rows × products); (index, any)."""
    keys = np.where(eligible, rng.random(eligible.shape), -1.0)
    return keys.argmax(axis=1), np.asarray(eligible.any(axis=1))


def _holdings(*, rng: np.random.Generator, cust: Customers) -> tuple[np.ndarray, np.ndarray]:
    """(product, holds) per customer × slot: a time deposit, wealth plan, fund, insurance, loan
    and credit card, each if the customer's wealth, risk appetite and age fit."""
    n = len(cust.id)
    corp, ind = cust.corp, ~cust.corp
    wealth = np.exp(cust.log_wealth)
    strength = 1 / (1 + np.exp(-(cust.log_wealth - 11.0)))  # 0..1 with wealth
    cat = CATEGORY[None, :]
    affordable = MIN_AMOUNT[None, :] <= 0.6 * wealth[:, None]
    allowed = (RISK[None, :] <= cust.risk[:, None]) & SELLABLE[None, :] & affordable
    slots: list[tuple[np.ndarray, np.ndarray]] = []

    td, td_ok = _choose_product(rng, (cat == "time_deposit") & SELLABLE & affordable)
    p_td = np.where(corp, 0.4, 0.12 + 0.45 * strength + 0.1 * (cust.age > 50))
    slots.append((td, td_ok & (rng.random(n) < p_td)))
    wm_ok_matrix = (cat == "wealth") & allowed & np.where(corp[:, None], RISK <= 2, True)
    wm, wm_ok = _choose_product(rng, wm_ok_matrix)
    slots.append((wm, wm_ok & (rng.random(n) < np.where(corp, 0.25, 0.05 + 0.45 * strength))))
    fd, fd_ok = _choose_product(rng, (cat == "fund") & allowed & ind[:, None])
    p_fd = 0.04 + 0.30 * strength + 0.08 * (cust.age < 40)
    slots.append((fd, fd_ok & (rng.random(n) < p_fd)))
    ins, ins_ok = _choose_product(
        rng,
        (cat == "insurance")
        & allowed
        & ind[:, None]
        & ((cust.age >= 28) & (cust.age <= 62))[:, None],
    )
    slots.append((ins, ins_ok & (rng.random(n) < 0.05 + 0.2 * strength)))
    mortgage = ind & (cust.age >= 28) & (cust.age <= 55) & (rng.random(n) < 0.14)
    consumer = ind & ~mortgage & (cust.age >= 22) & (rng.random(n) < 0.07)
    business = corp & (rng.random(n) < 0.35)
    loan = np.select(
        [mortgage, consumer, business],
        [PRODUCT_INDEX["LN-MTG"], PRODUCT_INDEX["LN-CON"], PRODUCT_INDEX["LN-BIZ"]],
        0,
    )
    slots.append((loan, mortgage | consumer | business))
    card_holder = ind & (cust.age >= 20) & (cust.age <= 65) & (rng.random(n) < 0.38)
    platinum = (cust.income >= 3) | (cust.log_wealth > 13)
    card_product = np.where(platinum, PRODUCT_INDEX["CC-PLT"], PRODUCT_INDEX["CC-STD"])
    slots.append((card_product, card_holder))

    holds = np.column_stack([h for _, h in slots])
    prods = np.column_stack([p for p, _ in slots])
    # Drop random extras beyond the most a customer holds.
    keys = np.where(holds, rng.random(holds.shape), np.inf)
    rank = keys.argsort(axis=1).argsort(axis=1)
    holds &= rank < MAX_HOLDINGS
    return prods, holds


def _demand_product(cust: Customers) -> np.ndarray:
    return np.where(
        cust.corp,
        PRODUCT_INDEX["DEP-CORP"],
        np.where(
            cust.channel == ONBOARDING_CHANNELS.index("payroll"),
            PRODUCT_INDEX["DEP-PAY"],
            PRODUCT_INDEX["DEP-SAV"],
        ),
    )


def _opening_days(
    *,
    rng: np.random.Generator,
    plan: BankPlan,
    cust: Customers,
    ci: np.ndarray,
    is_demand: np.ndarray,
) -> np.ndarray:
    """The demand deposit at onboarding; others later — growing customers buy mostly
    recently, the declining before the decline, the dormant before going quiet."""
    limit = np.where(
        cust.path == DECLINING,
        cust.decline_start - 30,
        np.where(cust.path == DORMANT, cust.dormant_start - 30, plan.as_of_day),
    )
    limit = np.maximum(limit, cust.on)
    u = rng.random(len(ci)) ** np.where(cust.path[ci] == GROWING, 0.5, 1.0)
    return np.where(
        is_demand, cust.on[ci], cust.on[ci] + (u * (limit[ci] - cust.on[ci])).astype(np.int64)
    )


def _closing_days(
    *,
    rng: np.random.Generator,
    plan: BankPlan,
    cust: Customers,
    ci: np.ndarray,
    product: np.ndarray,
    opened: np.ndarray,
    is_demand: np.ndarray,
) -> np.ndarray:
    """Closing day of each account (NAT while open at as_of)."""
    as_of = plan.as_of_day
    k = len(ci)
    closed = np.full(k, NAT, dtype=np.int64)
    term_days = (TERM[product] * 30.44).astype(np.int64)
    consumer_loan = product == PRODUCT_INDEX["LN-CON"]
    business_loan = product == PRODUCT_INDEX["LN-BIZ"]
    matures = (consumer_loan | business_loan) & (opened + term_days <= as_of)
    # Business loans roll over into a new loan on the same account: keep them open.
    closed = np.where(matures & consumer_loan, opened + term_days, closed)
    redeem = (
        ~is_demand
        & np.isin(CATEGORY[product], ["time_deposit", "wealth", "fund"])
        & np.isin(cust.path[ci], [STABLE, GROWING])
        & (rng.random(k) < 0.08)
        & (as_of - opened > 60)
    )
    closed = np.where(
        redeem, opened + 30 + (rng.random(k) * (as_of - opened - 30)).astype(np.int64), closed
    )
    declining = cust.path[ci] == DECLINING
    left = cust.left[ci]
    ds = cust.decline_start[ci]
    exit_day = ds + (rng.random(k) * np.maximum(left - ds, 1)).astype(np.int64)
    closed = np.where(
        declining,
        np.where(
            is_demand,
            left,
            np.minimum(np.where(closed == NAT, exit_day, np.minimum(closed, exit_day)), left),
        ),
        closed,
    )
    closed = np.where((closed != NAT) & (closed <= opened), opened + 1, closed)
    closed = np.where(declining, np.minimum(closed, left), closed)
    closed = np.where((closed != NAT) & (closed > as_of), NAT, closed)  # not yet
    # Dormant customers have paid off their loans and cancelled their cards before going quiet.
    quiet = (cust.path[ci] == DORMANT) & np.isin(CATEGORY[product], ["loan", "credit_card"])
    quiet_day = np.maximum(cust.dormant_start[ci] - rng.integers(0, 60, k), opened + 1)
    return np.where(
        quiet, np.where(closed == NAT, quiet_day, np.minimum(closed, quiet_day)), closed
    )


def _principal(rng: np.random.Generator, product: np.ndarray) -> np.ndarray:
    """Amount lent on each loan account (0 for the rest)."""
    k = len(product)
    principal = np.zeros(k)
    principal = np.where(
        product == PRODUCT_INDEX["LN-MTG"], rng.lognormal(math.log(900_000), 0.5, k), principal
    )
    principal = np.where(
        product == PRODUCT_INDEX["LN-CON"], rng.lognormal(math.log(80_000), 0.6, k), principal
    )
    return np.where(
        product == PRODUCT_INDEX["LN-BIZ"],
        np.maximum(rng.lognormal(math.log(2_000_000), 0.8, k), 500_000),
        principal,
    )


def make_accounts(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Accounts:
    n = len(cust.id)
    prods, holds = _holdings(rng=rng, cust=cust)
    # Rows: per customer the demand deposit first, then the other holdings in slot order.
    all_prod = np.column_stack([_demand_product(cust), prods])
    all_hold = np.column_stack([np.ones(n, dtype=bool), holds])
    ci, slot = np.nonzero(all_hold)
    product = all_prod[ci, slot]
    is_demand = slot == 0
    opened = _opening_days(rng=rng, plan=plan, cust=cust, ci=ci, is_demand=is_demand)
    closed = _closing_days(
        rng=rng, plan=plan, cust=cust, ci=ci, product=product, opened=opened, is_demand=is_demand
    )
    principal = _principal(rng, product)

    ids = counters.take(Account, len(ci))
    card_index = np.full(n, -1, dtype=np.int64)
    is_card = CATEGORY[product] == "credit_card"
    card_index[ci[is_card]] = np.flatnonzero(is_card)
    return Accounts(
        id=ids,
        cust=ci,
        product=product,
        opened=opened,
        closed=closed,
        principal=principal,
        demand=np.flatnonzero(is_demand),
        card=card_index,
    )


def account_rows(*, plan: BankPlan, cust: Customers, acc: Accounts, balance: np.ndarray) -> Batch:
    """Account rows with their balance at as_of (0 once closed)."""
    open_now = acc.closed == NAT
    status = np.where(
        ~open_now,
        ACCOUNT_STATUSES.index("closed"),
        np.where(
            (cust.path[acc.cust] == DORMANT)
            & np.isin(CATEGORY[acc.product], ["deposit", "time_deposit"]),
            ACCOUNT_STATUSES.index("dormant"),
            ACCOUNT_STATUSES.index("open"),
        ),
    )
    prefix = np.array([ACCOUNT_PREFIX[cat] for cat in CATEGORY[acc.product].tolist()])
    branch_ids = np.array([b.id for b in plan.branches], dtype=np.int64)
    return Batch(
        Account,
        {
            "id": acc.id,
            "account_no": [
                f"{p}{i:013d}" for p, i in zip(prefix.tolist(), acc.id.tolist(), strict=True)
            ],
            "customer_id": cust.id[acc.cust],
            "product_id": plan.product_ids[acc.product],
            "branch_id": branch_ids[cust.branch[acc.cust]],
            "currency": Cat(np.zeros(len(acc.id), dtype=np.int64), ("CNY",)),
            "balance": Cents(balance),
            "status": Cat(status, ACCOUNT_STATUSES),
            "opened_on": days_to_dates(acc.opened),
            "closed_on": nullable_days(acc.closed, ~open_now),
        },
    )
