"""Monthly activity and month-end balances of one chunk's accounts, and the AUM they add up to."""

from __future__ import annotations

import numpy as np

from bankcrm.banking.models import BalanceSnapshot
from bankcrm.demo.arrays import NAT, days_to_dates
from bankcrm.demo.codes import DECLINING, DORMANT, GROWING, NEW
from bankcrm.demo.columns import Batch, Cents, Counters
from bankcrm.demo.generators.accounts import Accounts
from bankcrm.demo.generators.customers import Customers
from bankcrm.demo.plan import BankPlan
from bankcrm.demo.products import CATEGORY, IN_AUM, RATE, TERM


def activity(*, plan: BankPlan, cust: Customers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer × month: first and last active day, and the path's activity factor."""
    ms, me = plan.month_start[None, :], plan.month_end[None, :]
    lo = np.maximum(ms, cust.on[:, None])
    last = np.where(cust.gone, cust.left - 1, plan.as_of_day)
    hi = np.minimum(me, last[:, None])
    m = len(plan.month_start)
    frac_t = np.arange(m) / max(m - 1, 1)
    factor = np.ones((len(cust.id), m))
    path = cust.path[:, None]
    factor = np.where(path == GROWING, 0.75 + 0.6 * frac_t[None, :], factor)
    factor = np.where(path == NEW, 1.2, factor)
    mid = (ms + me) / 2
    decline = np.clip(
        (cust.left[:, None] - mid) / np.maximum(cust.left - cust.decline_start, 1)[:, None], 0, 1
    )
    factor = np.where(
        (path == DECLINING) & (mid > cust.decline_start[:, None]), 0.15 + 0.85 * decline, factor
    )
    factor = np.where(
        path == DORMANT, np.where(me < cust.dormant_start[:, None], 0.35, 0.012), factor
    )
    days = np.maximum(hi - lo + 1, 0)
    factor = factor * days / (me - ms + 1)
    return lo, hi, factor


def _assets(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers
) -> tuple[np.ndarray, np.ndarray]:
    """The customer's assets over time: (level reached at as_of, factor per month by path)."""
    n, m = len(cust.id), len(plan.month_start)
    me = plan.month_end[None, :]
    t_rel = (np.arange(m) - (m - 1))[None, :]
    path = cust.path[:, None]
    level = np.exp(cust.log_wealth)
    level = np.where(cust.path == DORMANT, level * 0.15, level)
    log_f = rng.normal(0, 0.04, (n, m))
    log_f += np.isin(plan.month_of_year, [1, 2])[None, :] * 0.05  # year-end bonuses
    growth = rng.uniform(0.005, 0.02, n)[:, None]  # 6–24% a year
    log_f = np.where(path == GROWING, log_f + growth * t_rel, log_f)
    log_f = np.where(path == DORMANT, 0.0, log_f)
    f = np.exp(log_f)
    months_in = (me - cust.on[:, None]) / 30.44
    f = np.where(path == NEW, f * np.clip((months_in + 1) / 4, 0.15, 1), f)
    decline = (
        np.clip(
            (cust.left[:, None] - me) / np.maximum(cust.left - cust.decline_start, 1)[:, None], 0, 1
        )
        ** 1.5
    )
    f = np.where((path == DECLINING) & (me > cust.decline_start[:, None]), f * decline, f)
    return level, f


def _shares(*, rng: np.random.Generator, acc: Accounts, alive: np.ndarray, n: int) -> np.ndarray:
    """Each AUM account's share (accounts × months) of its customer's assets.

    A product bought later takes its share from the customer's other accounts rather than
    bringing new money: shares are taken among the accounts open in each month.
    """
    k = len(acc.id)
    category = CATEGORY[acc.product]
    share_w = np.select(
        [
            category == "deposit",
            category == "time_deposit",
            category == "wealth",
            category == "fund",
            category == "insurance",
        ],
        [
            rng.uniform(0.6, 1.4, k),
            rng.uniform(1, 3, k),
            rng.uniform(1, 4, k),
            rng.uniform(0.5, 2, k),
            rng.uniform(0.5, 2, k),
        ],
        0.0,
    )
    total_w = np.zeros((n, alive.shape[1]))
    np.add.at(total_w, acc.cust, share_w[:, None] * alive)
    return share_w[:, None] / np.maximum(total_w[acc.cust], 1e-9)


def balances(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, acc: Accounts, factor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Month-end balances in cents (accounts × months) and which cells exist."""
    n, m = len(cust.id), len(plan.month_start)
    k = len(acc.id)
    ms, me = plan.month_start[None, :], plan.month_end[None, :]
    level, f = _assets(rng=rng, plan=plan, cust=cust)

    c = acc.cust
    prod = acc.product
    category = CATEGORY[prod]
    exists = (acc.opened[:, None] <= me) & (
        (acc.closed == NAT)[:, None] | (acc.closed[:, None] >= ms)
    )
    closing = (acc.closed != NAT)[:, None] & (acc.closed[:, None] <= me)
    held_months = np.maximum((me - acc.opened[:, None]) / 30.44, 0)
    share = _shares(rng=rng, acc=acc, alive=exists & ~closing, n=n)

    bal = level[c][:, None] * share * f[c]
    noise = np.where((category == "deposit")[:, None], np.exp(rng.normal(0, 0.12, (k, m))), 1.0)
    bal = bal * noise
    rate = RATE[prod][:, None] / 100
    bal = np.where((category == "time_deposit")[:, None], bal * (1 + rate / 12) ** held_months, bal)
    bal = np.where((category == "wealth")[:, None], bal * 1.0025**held_months, bal)
    bal = np.where((category == "insurance")[:, None], bal * 1.003**held_months, bal)
    market = np.exp(np.cumsum(rng.normal(0.004, 0.05, (k, m)), axis=1))
    bal = np.where((category == "fund")[:, None], bal * market, bal)
    # Loans amortise over their term; card balances follow spending.
    term = np.maximum(TERM[prod], 1)[:, None]
    loan_left = acc.principal[:, None] * np.clip(1 - held_months / term, 0, 1)
    bal = np.where((category == "loan")[:, None], loan_left, bal)
    spend = rng.lognormal(7.6, 0.9, (k, m)) * factor[c]
    bal = np.where((category == "credit_card")[:, None], spend, bal)
    cents = np.rint(np.maximum(bal, 0) * 100).astype(np.int64)
    cents = np.where(closing, 0, cents)
    cents = np.where(exists, cents, 0)
    return cents, exists


def balance_now(acc: Accounts, cents: np.ndarray) -> np.ndarray:
    """Each account's balance at as_of: the last month-end's, 0 once closed."""
    return np.where(acc.closed == NAT, cents[:, -1], 0)


def customer_aum(*, n: int, acc: Accounts, balance: np.ndarray) -> np.ndarray:
    """Per customer, the sum of their open deposit and investment balances (cents)."""
    aum = np.zeros(n, dtype=np.int64)
    in_aum = (acc.closed == NAT) & IN_AUM[acc.product]
    np.add.at(aum, acc.cust[in_aum], balance[in_aum])
    return aum


def balance_rows(
    *,
    plan: BankPlan,
    cust: Customers,
    acc: Accounts,
    cents: np.ndarray,
    exists: np.ndarray,
    counters: Counters,
) -> Batch:
    a, mm = np.nonzero(exists)
    return Batch(
        BalanceSnapshot,
        {
            "id": counters.take(BalanceSnapshot, len(a)),
            "account_id": acc.id[a],
            "customer_id": cust.id[acc.cust[a]],
            "month": days_to_dates(plan.month_start[mm]),
            "balance": Cents(cents[a, mm]),
            "counts_to_aum": IN_AUM[acc.product[a]],
        },
    )
