"""Everyday payments of one chunk: purchases, transfers, cash, bills and fees.

A Poisson number per customer-month, shaped by the customer's path; each payment's type,
direction, counterparty, amount, time, channel, description and account are then drawn in
that order.
"""

from __future__ import annotations

import numpy as np

from bankcrm.demo.arrays import NAT, daytime, hours, pick
from bankcrm.demo.codes import (
    C_COUNTER,
    C_ONLINE,
    D_CREDIT,
    D_DEBIT,
    DESC_B2B_IN,
    DESC_B2B_OUT,
    DESC_RANGES,
    DESC_TAX,
    P_FINANCIAL,
    P_GOVERNMENT,
    P_INDIVIDUAL,
    P_MERCHANT,
    P_OWN,
    P_UTILITY,
    T_BILL,
    T_DEPOSIT,
    T_FEE,
    T_INVESTMENT,
    T_PURCHASE,
    T_REDEMPTION,
    T_TRANSFER,
    T_WITHDRAWAL,
)
from bankcrm.demo.generators.flows import TxnContext, TxnParts

# Payment types of individuals and of companies, with their shares.
IND_TYPES = np.array(
    [T_PURCHASE, T_TRANSFER, T_WITHDRAWAL, T_DEPOSIT, T_BILL, T_FEE, T_INVESTMENT, T_REDEMPTION]
)
IND_MIX = np.array([0.46, 0.16, 0.08, 0.04, 0.15, 0.02, 0.05, 0.04])
CORP_TYPES = np.array([T_TRANSFER, T_BILL, T_FEE])
CORP_MIX = np.array([0.65, 0.20, 0.15])

# Channel preferences per type and age group (young, middle, older), as weights over
# (counter, atm, online, mobile, wechat_pay, alipay, unionpay, pos). The second table is the
# mobile-first mix that customers drift towards over the window.
CHANNEL_BASE = {
    T_PURCHASE: (
        [0, 0, 2, 3, 40, 38, 9, 8],
        [0, 0, 3, 4, 32, 26, 15, 20],
        [0, 0, 2, 3, 25, 12, 20, 38],
    ),
    T_TRANSFER: (
        [3, 0, 10, 80, 5, 2, 0, 0],
        [10, 0, 25, 60, 3, 2, 0, 0],
        [35, 0, 20, 40, 3, 2, 0, 0],
    ),
    T_BILL: (
        [0, 0, 10, 30, 35, 25, 0, 0],
        [5, 0, 25, 30, 25, 15, 0, 0],
        [25, 0, 25, 25, 15, 10, 0, 0],
    ),
    T_INVESTMENT: (
        [5, 0, 15, 80, 0, 0, 0, 0],
        [20, 0, 30, 50, 0, 0, 0, 0],
        [55, 0, 20, 25, 0, 0, 0, 0],
    ),
    T_WITHDRAWAL: (
        [5, 95, 0, 0, 0, 0, 0, 0],
        [12, 88, 0, 0, 0, 0, 0, 0],
        [30, 70, 0, 0, 0, 0, 0, 0],
    ),
    T_DEPOSIT: ([30, 70, 0, 0, 0, 0, 0, 0], [45, 55, 0, 0, 0, 0, 0, 0], [65, 35, 0, 0, 0, 0, 0, 0]),
}
CHANNEL_MOBILE_FIRST = {
    T_PURCHASE: [0, 0, 1, 4, 48, 40, 4, 3],
    T_TRANSFER: [2, 0, 6, 90, 1, 1, 0, 0],
    T_BILL: [1, 0, 5, 35, 35, 24, 0, 0],
    T_INVESTMENT: [5, 0, 10, 85, 0, 0, 0, 0],
}


def _channels(
    rng: np.random.Generator, types: np.ndarray, age_group: np.ndarray, t_frac: np.ndarray
) -> np.ndarray:
    """A channel per payment by its type and the customer's age, drifting to mobile over time."""
    out = np.full(len(types), C_ONLINE, dtype=np.int64)
    drift = 0.35 * t_frac * np.array([1.0, 0.7, 0.4])[age_group]
    for t, by_age in CHANNEL_BASE.items():
        idx = np.flatnonzero(types == t)
        if not len(idx):
            continue
        base = np.array(by_age, dtype=float)[age_group[idx]]
        base /= base.sum(axis=1, keepdims=True)
        if t in CHANNEL_MOBILE_FIRST:
            target = np.array(CHANNEL_MOBILE_FIRST[t], dtype=float)
            target /= target.sum()
            d = drift[idx][:, None]
            base = base * (1 - d) + target[None, :] * d
        out[idx] = pick(rng, base)
    return out


def _random_descriptions(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    out = np.zeros(len(types), dtype=np.int64)
    for t, (lo, hi) in DESC_RANGES.items():
        idx = np.flatnonzero(types == t)
        out[idx] = rng.integers(lo, hi + 1, len(idx))
    return out


def _slots(ctx: TxnContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, month, day) of each payment."""
    rng, cust = ctx.rng, ctx.cust
    n, m = ctx.factor.shape
    base = np.where(cust.corp, 4.0, 1.05 * np.array([1.25, 1.0, 0.75])[ctx.age_group])
    counts = rng.poisson(base[:, None] * ctx.factor)
    cm = np.repeat(np.arange(n * m), counts.ravel())
    c, mm = cm // m, cm % m
    span = ctx.hi[c, mm] - ctx.lo[c, mm] + 1
    day = ctx.lo[c, mm] + (rng.random(len(c)) * span).astype(np.int64)
    return c, mm, day


def _types(ctx: TxnContext, c: np.ndarray) -> np.ndarray:
    """Payment types; only customers with open investments invest or redeem."""
    rng, acc = ctx.rng, ctx.acc
    k = len(c)
    has_investments = np.zeros(len(ctx.cust.id), dtype=bool)
    open_investments = np.isin(ctx.category, ["wealth", "fund"]) & (acc.closed == NAT)
    has_investments[acc.cust[open_investments]] = True
    types = np.where(
        ctx.cust.corp[c],
        CORP_TYPES[rng.choice(3, size=k, p=CORP_MIX)],
        IND_TYPES[rng.choice(len(IND_MIX), size=k, p=IND_MIX)],
    )
    no_inv = np.isin(types, [T_INVESTMENT, T_REDEMPTION]) & ~has_investments[c]
    return np.where(no_inv, T_PURCHASE, types)


def _directions_and_counterparties(
    rng: np.random.Generator, corp: np.ndarray, types: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(direction, counterparty, is a tax payment) of each payment of customers `corp`."""
    k = len(types)
    direction = np.full(k, D_DEBIT)
    direction = np.where(np.isin(types, [T_DEPOSIT, T_REDEMPTION]), D_CREDIT, direction)
    direction = np.where((types == T_TRANSFER) & (rng.random(k) < 0.5), D_CREDIT, direction)
    cp = np.select(
        [
            types == T_PURCHASE,
            types == T_TRANSFER,
            types == T_BILL,
            np.isin(types, [T_WITHDRAWAL, T_DEPOSIT]),
            np.isin(types, [T_FEE, T_INVESTMENT, T_REDEMPTION]),
        ],
        [P_MERCHANT, P_INDIVIDUAL, P_UTILITY, P_OWN, P_FINANCIAL],
        P_FINANCIAL,
    )
    cp = np.where(
        corp & (types == T_TRANSFER), np.where(rng.random(k) < 0.8, P_MERCHANT, P_INDIVIDUAL), cp
    )
    tax = corp & (types == T_BILL) & (rng.random(k) < 0.4)
    return direction, np.where(tax, P_GOVERNMENT, cp), tax


def _amounts(
    rng: np.random.Generator, types: np.ndarray, corp: np.ndarray, ws: np.ndarray
) -> np.ndarray:
    """Amounts (CNY) by type, larger for the wealthy (`ws`) and for companies."""
    k = len(types)
    amount = np.select(
        [
            types == T_PURCHASE,
            types == T_TRANSFER,
            types == T_WITHDRAWAL,
            types == T_DEPOSIT,
            types == T_BILL,
            types == T_FEE,
            np.isin(types, [T_INVESTMENT, T_REDEMPTION]),
        ],
        [
            np.clip(rng.lognormal(4.3, 1.0, k) * ws**0.2, 1, 50_000),
            np.clip(rng.lognormal(6.8, 1.1, k) * ws**0.35, 10, 5_000_000),
            100.0 * rng.integers(1, 31, k),
            100.0 * rng.integers(5, 201, k),
            rng.lognormal(5.0, 0.6, k),
            rng.choice([2.0, 5.0, 10.0, 12.0, 20.0, 50.0], size=k),
            np.maximum(np.rint(rng.lognormal(9.8, 0.7, k) * ws**0.3 / 1000) * 1000, 1000),
        ],
        1.0,
    )
    return np.where(corp & np.isin(types, [T_TRANSFER, T_BILL]), amount * 40, amount)


def _payment_channels(
    ctx: TxnContext, c: np.ndarray, mm: np.ndarray, types: np.ndarray
) -> np.ndarray:
    rng = ctx.rng
    m = ctx.factor.shape[1]
    channel = _channels(rng, types, ctx.age_group[c], mm / max(m - 1, 1))
    channel = np.where(
        ctx.cust.corp[c], np.where(rng.random(len(c)) < 0.75, C_ONLINE, C_COUNTER), channel
    )
    return np.where(types == T_FEE, C_ONLINE, channel)


def _descriptions(
    rng: np.random.Generator,
    types: np.ndarray,
    corp: np.ndarray,
    direction: np.ndarray,
    tax: np.ndarray,
) -> np.ndarray:
    desc = _random_descriptions(rng, types)
    desc = np.where(
        corp & (types == T_TRANSFER),
        np.where(direction == D_CREDIT, DESC_B2B_IN, DESC_B2B_OUT),
        desc,
    )
    return np.where(tax, DESC_TAX, desc)


def _accounts(ctx: TxnContext, c: np.ndarray, mm: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Purchases go on the credit card when the customer has one open for the whole month;
    everything else through the demand deposit."""
    acc, plan = ctx.acc, ctx.plan
    card = acc.card[c]
    card_ok = card >= 0
    safe_card = np.where(card_ok, card, 0)
    card_closed = np.where(
        acc.closed[safe_card] == NAT, np.iinfo(np.int64).max, acc.closed[safe_card]
    )
    card_ok &= (acc.opened[safe_card] <= plan.month_start[mm]) & (card_closed > plan.month_end[mm])
    on_card = (types == T_PURCHASE) & card_ok & (ctx.rng.random(len(c)) < 0.6)
    return np.where(on_card, safe_card, ctx.demand[c])


def add_everyday_payments(ctx: TxnContext, parts: TxnParts) -> None:
    rng = ctx.rng
    c, mm, day = _slots(ctx)
    corp = ctx.cust.corp[c]
    types = _types(ctx, c)
    direction, cp, tax = _directions_and_counterparties(rng, corp, types)
    wealth_scale = np.exp(np.clip(ctx.cust.log_wealth - 10.4, -2, 4))
    amount = _amounts(rng, types, corp, wealth_scale[c])
    k = len(c)
    seconds = np.where(np.isin(types, [T_FEE]), hours(rng, k, 0.2, 3), daytime(rng, k))
    channel = _payment_channels(ctx, c, mm, types)
    desc = _descriptions(rng, types, corp, direction, tax)
    parts.add(
        cust=c,
        account=_accounts(ctx, c, mm, types),
        day=day,
        second=seconds,
        amount=amount,
        direction=direction,
        type=types,
        counterparty=cp,
        channel=channel,
        description=desc,
    )
