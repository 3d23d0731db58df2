"""The demo bank's points programme: points earned on its transactions and AUM, tiers fitted
to its customers so every tier has members, tier changes over the last year, redemptions (a
few cancelled) and expiries. Deterministic for a seed, like the rest of the demo."""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np

from bankcrm.core.models import User
from bankcrm.demo.plan import DemoConfig
from bankcrm.loyalty import defaults, runs, services
from bankcrm.loyalty.models import Member, MemberStatus, Programme, Reward, Tier

# Shares of members at or above gold, platinum and diamond once the tiers are fitted.
TIER_SHARES = (0.35, 0.12, 0.03)
REDEEMING_SHARE = 0.3  # of the members who can afford a reward, those who redeem one
CANCELLED_SHARE = 0.05  # of those redemptions, cancelled


def _months(config: DemoConfig) -> list[dt.date]:
    end = config.as_of.replace(day=1)
    out = []
    for i in range(config.months - 1, -1, -1):
        y, m = divmod(end.year * 12 + end.month - 1 - i, 12)
        out.append(dt.date(y, m + 1, 1))
    return out


def _fit_tiers(points: np.ndarray) -> None:
    """Qualifying points at the members' quantiles, so the demo has every tier."""
    tiers = list(Tier.objects.order_by("rank"))[1:]
    for tier, share in zip(tiers, TIER_SHARES, strict=False):
        tier.min_points = max(int(np.quantile(points, 1 - share)), 1) if len(points) else 1
        tier.save(update_fields=["min_points"])


def _staff() -> User | None:
    return User.objects.filter(role="admin").order_by("pk").first()


def _redeem(config: DemoConfig, actor: User, rng: np.random.Generator) -> tuple[int, int]:
    members = list(
        Member.objects.filter(status=MemberStatus.ACTIVE, balance__gt=0)
        .select_related("customer", "tier")
        .order_by("pk")
    )
    rewards = list(Reward.objects.filter(is_active=True).select_related("min_tier"))
    cheapest = min((r.points_price for r in rewards), default=0)
    members = [m for m in members if m.balance >= cheapest]
    chosen = rng.choice(len(members), size=int(len(members) * REDEEMING_SHARE), replace=False)
    made = cancelled = 0
    for i in sorted(chosen.tolist()):
        m = members[i]
        rank = m.tier.rank if m.tier else 0
        fits = [
            r
            for r in rewards
            if r.points_price <= m.balance and (r.min_tier is None or r.min_tier.rank <= rank)
        ]
        if not fits:
            continue
        reward = fits[int(rng.integers(len(fits)))]
        try:
            r = services.redemption_create(actor=actor, customer=m.customer, reward=reward)
        except services.LoyaltyRefused:
            continue  # out of stock by now
        made += 1
        if rng.random() < CANCELLED_SHARE:
            services.redemption_cancel(actor=actor, redemption=r, reason="客户取消")
            cancelled += 1
    return made, cancelled


def demo_loyalty(*, config: DemoConfig, show: bool = False) -> str:
    """Run the programme over the built bank; one line saying what it did (and, with
    ``show``, a line on stderr per step)."""
    started = time.perf_counter()

    def say(step: str) -> None:
        if show:
            sys.stderr.write(f"  loyalty: {step:<44} {time.perf_counter() - started:6.1f} s\n")

    months = _months(config)
    defaults.programme_setup_defaults(actor=None, on=months[0])
    # Points expire at the end of the calendar year after the one they were earned in, so a
    # two-year bank shows expiries (the default programme keeps them a year longer).
    Programme.objects.update(expiry_years=1)
    if show:
        sys.stderr.write(f"Loyalty points over {config.months} months…\n")
    earned = runs.earn_transactions(
        progress=(lambda d, t: say(f"earning {d:,}/{t:,} transactions")) if show else None
    )
    for month in months:
        runs.earn_aum_month(month=month)
    say("AUM points per month")
    expired = 0
    for year in range(months[0].year + 1, config.as_of.year + 1):
        expired -= runs.expire_points(on=dt.date(year, 1, 1)).points
    say("expiry")
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    # Qualifying points are earned in the last 12 months: fitted on what members earned then.
    window = runs.qualifying_points(today=config.as_of)
    _fit_tiers(np.array([p for p in window if p > 0] or [0], dtype=float))
    # The tiers re-evaluated each quarter of the last year: upgrades and, after the grace
    # period, downgrades, each recorded.
    for back in (12, 9, 6, 3, 0):
        y, m = divmod(config.as_of.year * 12 + config.as_of.month - 1 - back, 12)
        runs.tiers_evaluate(today=dt.date(y, m + 1, 28) if back else config.as_of)
    say("tiers")
    actor = _staff()
    made = cancelled = 0
    if actor is not None:
        made, cancelled = _redeem(config, actor, np.random.default_rng([config.seed, 8]))
    say("redemptions")
    check = runs.balance_check()
    by_tier = {
        t.display_name: members.filter(tier=t).count() for t in Tier.objects.order_by("rank")
    }
    return (
        f"Loyalty: {members.count():,} members, {earned.points:,} points earned on "
        f"{earned.entries:,} entries, {expired:,} expired, {made:,} redemptions "
        f"({cancelled} cancelled); tiers {by_tier}; balances checked: "
        f"{check.differences} differences ({time.perf_counter() - started:.1f} s)."
    )
