"""Scheduled money flows of one chunk: income, interest, repayments and investment moves."""

from __future__ import annotations

import numpy as np

from bankcrm.demo.arrays import NAT, daytime, hours
from bankcrm.demo.codes import (
    C_COUNTER,
    C_MOBILE,
    C_ONLINE,
    D_CREDIT,
    D_DEBIT,
    DECLINING,
    DESC_CARD_REPAY,
    DESC_FROM_TIME,
    DESC_PAYROLL,
    DESC_PENSION,
    DESC_TO_TIME,
    DORMANT,
    P_EMPLOYER,
    P_FINANCIAL,
    P_GOVERNMENT,
    P_INDIVIDUAL,
    P_OWN,
    T_INTEREST,
    T_INVESTMENT,
    T_REDEMPTION,
    T_REPAYMENT,
    T_SALARY,
    T_TRANSFER,
)
from bankcrm.demo.generators.flows import TxnContext, TxnParts
from bankcrm.demo.products import PRODUCT_INDEX, RATE, TERM

MOVABLE = ("time_deposit", "wealth", "fund", "insurance")


def _scheduled(ctx: TxnContext, mask: np.ndarray, dom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day) where a monthly event on day-of-month `dom` falls in activity."""
    day = ctx.plan.month_start[None, :] + (dom[:, None] - 1)
    ok = mask[:, None] & (day >= ctx.lo) & (day <= ctx.hi)
    c, mm = np.nonzero(ok)
    return c, day[c, mm]


def add_income(ctx: TxnContext, parts: TxnParts) -> None:
    """Salaries (monthly, from the employer) and pensions; salaries move away when a customer
    starts leaving. Companies pay their payroll out on the 10th."""
    rng, cust, demand = ctx.rng, ctx.cust, ctx.demand
    n = len(cust.id)
    pay_dom = rng.choice([5, 8, 10, 15, 20, 25], size=n)
    c, day = _scheduled(ctx, cust.salary > 0, pay_dom)
    keep = (cust.path[c] != DECLINING) | (day < cust.decline_start[c] + 45)
    c, day = c[keep], day[keep]
    bonus = rng.random(len(c)) < 0.04
    parts.add(
        cust=c,
        account=demand[c],
        day=day,
        second=hours(rng, len(c), 8.5, 11),
        amount=cust.salary[c] * rng.lognormal(0, 0.03, len(c)) * np.where(bonus, 2.0, 1.0),
        direction=D_CREDIT,
        type=T_SALARY,
        counterparty=P_EMPLOYER,
        channel=C_ONLINE,
        description=np.where(bonus, 2, np.where(rng.random(len(c)) < 0.5, 0, 1)),
    )
    c, day = _scheduled(ctx, cust.pension > 0, np.full(n, 15))
    parts.add(
        cust=c,
        account=demand[c],
        day=day,
        second=hours(rng, len(c), 7, 9),
        amount=cust.pension[c],
        direction=D_CREDIT,
        type=T_TRANSFER,
        counterparty=P_GOVERNMENT,
        channel=C_ONLINE,
        description=DESC_PENSION,
    )
    c, day = _scheduled(ctx, cust.corp, np.full(n, 10))
    parts.add(
        cust=c,
        account=demand[c],
        day=day,
        second=hours(rng, len(c), 9, 11),
        amount=np.exp(cust.log_wealth[c]) * 0.08 * rng.lognormal(0, 0.05, len(c)),
        direction=D_DEBIT,
        type=T_TRANSFER,
        counterparty=P_INDIVIDUAL,
        channel=C_ONLINE,
        description=DESC_PAYROLL,
    )


def add_interest(ctx: TxnContext, parts: TxnParts) -> None:
    """Quarterly interest on demand deposits, credited on the 21st of Mar/Jun/Sep/Dec."""
    plan, cust, demand = ctx.plan, ctx.cust, ctx.demand
    quarter = np.isin(plan.month_of_year, [3, 6, 9, 12])
    q_day = plan.month_start + 20
    ok = (
        quarter[None, :]
        & (q_day[None, :] >= ctx.lo)
        & (q_day[None, :] <= ctx.hi)
        & ~((cust.path == DORMANT)[:, None] & (q_day[None, :] >= cust.dormant_start[:, None]))
    )
    c, mm = np.nonzero(ok)
    interest = ctx.cents[demand[c], mm] / 100 * 0.0010 / 4
    parts.add(
        cust=c,
        account=demand[c],
        day=q_day[mm],
        second=hours(ctx.rng, len(c), 0.5, 2),
        amount=np.maximum(interest, 0.01),
        direction=D_CREDIT,
        type=T_INTEREST,
        counterparty=P_FINANCIAL,
        channel=C_ONLINE,
        description=28,
    )


def _add_repayments_of(ctx: TxnContext, parts: TxnParts, kind: str) -> None:
    """Monthly repayments of one kind of account ('loan' or 'credit_card')."""
    rng, acc = ctx.rng, ctx.acc
    a_idx = np.flatnonzero(ctx.category == kind)
    if not len(a_idx):
        return
    ac = acc.cust[a_idx]
    dom = 1 + (acc.opened[a_idx] % 27)
    day = ctx.plan.month_start[None, :] + (dom[:, None] - 1)
    closed = np.where(acc.closed[a_idx] == NAT, np.iinfo(np.int64).max, acc.closed[a_idx])
    ok = (
        (day > acc.opened[a_idx][:, None] + 20)
        & (day < closed[:, None])
        & (day >= ctx.lo[ac])
        & (day <= ctx.hi[ac])
    )
    if kind == "credit_card":
        prev = np.concatenate(
            [np.zeros((len(a_idx), 1), dtype=np.int64), ctx.cents[a_idx, :-1]], axis=1
        )
        ok &= prev > 0
    r, mm = np.nonzero(ok)
    a = a_idx[r]
    cc = acc.cust[a]
    if kind == "loan":
        # A monthly annuity over the product's term.
        p = acc.product[a]
        rate = RATE[p] / 100 / 12
        term = np.maximum(TERM[p], 1)
        amount = acc.principal[a] * rate / (1 - (1 + rate) ** -term)
        desc = np.select([p == PRODUCT_INDEX["LN-MTG"], p == PRODUCT_INDEX["LN-CON"]], [43, 44], 46)
        repay_cp = P_FINANCIAL
    else:
        # Mostly the whole of last month's card balance, sometimes the minimum.
        amount = prev[r, mm] / 100 * np.where(rng.random(len(r)) < 0.8, 1.0, 0.1)
        desc = np.full(len(r), DESC_CARD_REPAY)
        repay_cp = P_OWN
    parts.add(
        cust=cc,
        account=ctx.demand[cc],
        day=day[r, mm],
        second=hours(rng, len(r), 6, 8),
        amount=amount,
        direction=D_DEBIT,
        type=T_REPAYMENT,
        counterparty=repay_cp,
        channel=C_ONLINE,
        description=desc,
    )


def add_repayments(ctx: TxnContext, parts: TxnParts) -> None:
    """Loan and credit-card repayments, from the demand deposit."""
    for kind in ("loan", "credit_card"):
        _add_repayments_of(ctx, parts, kind)


def _move_descriptions(
    category: np.ndarray, *, time_deposit: int, wealth: int, fund: int, insurance: int
) -> np.ndarray:
    """Descriptions of moves into or out of time deposits, wealth plans, funds and insurance."""
    return np.where(
        category == "time_deposit",
        time_deposit,
        np.select([category == "wealth", category == "fund"], [wealth, fund], insurance),
    )


def add_investment_moves(ctx: TxnContext, parts: TxnParts) -> None:
    """Buying into and leaving investments and time deposits inside the window."""
    rng, acc, category = ctx.rng, ctx.acc, ctx.category
    window_start = ctx.plan.window_start
    first_month = np.where(ctx.exists.any(axis=1), ctx.exists.argmax(axis=1), 0)
    movable = np.isin(category, MOVABLE)
    buy = np.flatnonzero(movable & (acc.opened >= window_start))
    if len(buy):
        bc = acc.cust[buy]
        amount = ctx.cents[buy, first_month[buy]] / 100
        is_td = category[buy] == "time_deposit"
        desc = _move_descriptions(
            category[buy], time_deposit=DESC_TO_TIME, wealth=37, fund=38, insurance=39
        )
        ok = amount > 0
        parts.add(
            cust=bc[ok],
            account=ctx.demand[bc[ok]],
            day=acc.opened[buy][ok],
            second=daytime(rng, int(ok.sum())),
            amount=amount[ok],
            direction=D_DEBIT,
            type=np.where(is_td, T_TRANSFER, T_INVESTMENT)[ok],
            counterparty=np.where(is_td, P_OWN, P_FINANCIAL)[ok],
            channel=np.where(ctx.age_group[bc] == 2, C_COUNTER, C_MOBILE)[ok],
            description=desc[ok],
        )
    sell = np.flatnonzero(movable & (acc.closed != NAT) & (acc.closed >= window_start))
    if len(sell):
        sc = acc.cust[sell]
        close_m = np.searchsorted(ctx.plan.month_start, acc.closed[sell], side="right") - 1
        prev_m = np.maximum(close_m - 1, 0)
        amount = ctx.cents[sell, prev_m] / 100
        is_td = category[sell] == "time_deposit"
        desc = _move_descriptions(
            category[sell], time_deposit=DESC_FROM_TIME, wealth=40, fund=41, insurance=42
        )
        ok = amount > 0
        parts.add(
            cust=sc[ok],
            account=ctx.demand[sc[ok]],
            day=acc.closed[sell][ok],
            second=hours(rng, int(ok.sum()), 9, 15),
            amount=amount[ok],
            direction=D_CREDIT,
            type=np.where(is_td, T_TRANSFER, T_REDEMPTION)[ok],
            counterparty=np.where(is_td, P_OWN, P_FINANCIAL)[ok],
            channel=np.where(ctx.age_group[sc] == 2, C_COUNTER, C_MOBILE)[ok],
            description=desc[ok],
        )
