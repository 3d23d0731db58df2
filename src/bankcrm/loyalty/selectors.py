"""Reads of the programme: a customer's points, history and redemptions (within the user's
scope), the pre-expiry list, the programme's pages and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from bankcrm.core.models import User
from bankcrm.core.permissions import scoped
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import customers_visible_to
from bankcrm.loyalty import sql
from bankcrm.loyalty.models import (
    Adjustment,
    AdjustmentStatus,
    EarnRule,
    Entry,
    EntryKind,
    Member,
    MemberStatus,
    Programme,
    Redemption,
    RedemptionStatus,
    Reward,
    Tier,
    TierChange,
)


@dataclass
class LoyaltySummary:
    """A customer's standing in the programme, as the 360 page and the API show it."""

    customer_id: int
    is_member: bool
    balance: int = 0
    tier: Tier | None = None
    tier_since: dt.date | None = None
    downgrade_due_since: dt.date | None = None
    expiring_points: int = 0
    expiring_on: dt.date | None = None
    entries: list[Entry] = field(default_factory=list)
    redemptions: list[Redemption] = field(default_factory=list)
    tier_changes: list[TierChange] = field(default_factory=list)
    pending_adjustments: list[Adjustment] = field(default_factory=list)
    rewards: list[Reward] = field(default_factory=list)

    @property
    def tier_code(self) -> str:
        return self.tier.code if self.tier else ""


def member_get(*, customer: Customer) -> Member | None:
    return (
        Member.objects.filter(customer=customer, status=MemberStatus.ACTIVE)
        .select_related("tier")
        .order_by("pk")
        .first()
    )


def expiring(*, member: Member, horizon: dt.date) -> tuple[int, dt.date | None]:
    """Points of ``member`` that expire by the end of ``horizon`` unless spent first (FIFO):
    credits with an expiry up to then, less every debit so far; and the first such day."""
    today = timezone.localdate()
    agg = Entry.objects.filter(member=member).aggregate(
        due=Sum("points", filter=Q(points__gt=0, expires_on__lte=horizon)),
        debits=Sum("points", filter=Q(points__lt=0)),
    )
    amount = max(0, (agg["due"] or 0) + (agg["debits"] or 0))
    if amount == 0:
        return 0, None
    first = (
        Entry.objects.filter(member=member, points__gt=0, expires_on__gte=today)
        .order_by("expires_on")
        .values_list("expires_on", flat=True)
        .first()
    )
    return amount, first


def loyalty_summary(*, customer: Customer, limit: int = 20) -> LoyaltySummary:
    """The customer (already read within scope) in the programme, in a fixed number of
    queries whatever their history."""
    member = member_get(customer=customer)
    rewards = list(
        Reward.objects.filter(is_active=True).select_related("min_tier").order_by("points_price")
    )
    if member is None:
        return LoyaltySummary(customer_id=customer.pk, is_member=False, rewards=rewards)
    programme = Programme.objects.order_by("pk").first()
    notice = programme.expiry_notice_days if programme else 90
    amount, first = expiring(
        member=member, horizon=timezone.localdate() + dt.timedelta(days=notice)
    )
    return LoyaltySummary(
        customer_id=customer.pk,
        is_member=True,
        balance=member.balance,
        tier=member.tier,
        tier_since=member.tier_since,
        downgrade_due_since=member.downgrade_due_since,
        expiring_points=amount,
        expiring_on=first,
        entries=list(
            Entry.objects.filter(member__customer=customer)
            .select_related("created_by")
            .order_by("-occurred_at", "-id")[:limit]
        ),
        redemptions=list(
            Redemption.objects.filter(member__customer=customer)
            .select_related("reward", "created_by")
            .order_by("-created_at", "-id")[:limit]
        ),
        tier_changes=list(
            TierChange.objects.filter(member__customer=customer)
            .select_related("from_tier", "to_tier")
            .order_by("-on", "-id")[:limit]
        ),
        pending_adjustments=list(
            Adjustment.objects.filter(
                member__customer=customer, status=AdjustmentStatus.PENDING
            ).select_related("requested_by")
        ),
        rewards=rewards,
    )


def redemption_get(*, user: User, redemption_id: int) -> Redemption:
    """A redemption of a customer within ``user``'s scope, or 404."""
    qs = scoped(
        Redemption.objects.select_related("member__customer", "reward"),
        user,
        rm="member__customer__rm",
        branch="member__customer__branch",
    )
    try:
        return qs.get(pk=redemption_id)
    except (Redemption.DoesNotExist, ValueError, TypeError):
        raise Http404("No such redemption") from None


def adjustment_get(*, user: User, adjustment_id: int) -> Adjustment:
    qs = scoped(
        Adjustment.objects.select_related("member__customer"),
        user,
        rm="member__customer__rm",
        branch="member__customer__branch",
    )
    try:
        return qs.get(pk=adjustment_id)
    except (Adjustment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such adjustment") from None


def pending_adjustments(*, user: User, limit: int = 200) -> list[Adjustment]:
    qs = scoped(
        Adjustment.objects.filter(status=AdjustmentStatus.PENDING).select_related(
            "member__customer", "requested_by"
        ),
        user,
        rm="member__customer__rm",
        branch="member__customer__branch",
    )
    return list(qs.order_by("requested_at", "id")[:limit])


def reward_get(*, reward_id: int) -> Reward:
    try:
        return Reward.objects.select_related("min_tier").get(pk=reward_id)
    except (Reward.DoesNotExist, ValueError, TypeError):
        raise Http404("No such reward") from None


# --- the programme's pages: sorted lists ----------------------------------------------------

RULE_SORTS = {
    "code": ("code", "-version"),
    "kind": ("kind", "code", "-version"),
    "effective_from": ("effective_from", "code"),
}
REWARD_SORTS = {
    "points_price": ("points_price", "code"),
    "code": ("code",),
    "stock": ("stock", "code"),
    "kind": ("kind", "code"),
}


def _order(sort: str, sorts: dict[str, tuple[str, ...]], default: str) -> tuple[str, ...]:
    key = sort.lstrip("-")
    fields = sorts.get(key, sorts[default])
    if sort.startswith("-"):
        return tuple(f[1:] if f.startswith("-") else "-" + f for f in fields)
    return fields


def rule_list(
    *, sort: str = "kind", kind: str = "", current_only: bool = False
) -> QuerySet[EarnRule]:
    qs = EarnRule.objects.select_related("tier")
    if kind:
        qs = qs.filter(kind=kind)
    if current_only:
        today = timezone.localdate()
        qs = qs.filter(effective_from__lte=today).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=today)
        )
    return qs.order_by(*_order(sort, RULE_SORTS, "kind"))


def reward_list(*, sort: str = "points_price", kind: str = "") -> QuerySet[Reward]:
    qs = Reward.objects.select_related("min_tier").annotate(
        redeemed=Count("redemptions", filter=Q(redemptions__status=RedemptionStatus.RESERVED))
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by(*_order(sort, REWARD_SORTS, "points_price"))


def tier_list() -> list[Tier]:
    return list(
        Tier.objects.annotate(
            members=Count("member", filter=Q(member__status=MemberStatus.ACTIVE))
        ).order_by("rank")
    )


@dataclass
class ExpiringRow:
    customer: Customer
    points: int
    first_on: dt.date | None
    balance: int


def expiring_list(*, user: User, horizon: dt.date, limit: int = 200) -> list[ExpiringRow]:
    """Customers in scope whose points expire by ``horizon`` unless spent: the RMs' list
    before the expiry run (most points first)."""
    visible = customers_visible_to(user).values("pk")
    members = (
        Member.objects.filter(status=MemberStatus.ACTIVE, customer__in=visible, balance__gt=0)
        .annotate(
            due=Sum(
                "entries__points", filter=Q(entries__points__gt=0, entries__expires_on__lte=horizon)
            ),
            debits=Sum("entries__points", filter=Q(entries__points__lt=0)),
        )
        .filter(due__gt=0)
        .select_related("customer", "customer__rm")
    )
    rows = []
    for m in members:
        points = (m.due or 0) + (m.debits or 0)
        if points > 0:
            rows.append(ExpiringRow(m.customer, points, None, m.balance))
    rows.sort(key=lambda r: (-r.points, r.customer.pk))
    return rows[:limit]


# --- the dashboard's figures ---------------------------------------------------------------


@dataclass
class LoyaltyKpis:
    members: int
    outstanding: int
    liability: Decimal
    cost_per_point: Decimal
    earned_12m: int
    burned_12m: int
    expired_12m: int
    redemption_rate: float | None  # points redeemed / points earned, last 12 months
    breakage: float | None  # points expired / points earned, last 12 months
    by_month: list[tuple[dt.date, int, int, int]]  # month, earned, redeemed, expired
    tiers: list[tuple[Tier, int]]
    migration: list[tuple[str, str, int]]  # from tier, to tier, members (last 12 months)


def loyalty_kpis(*, user: User, today: dt.date | None = None, months: int = 12) -> LoyaltyKpis:
    """Points liability, earn and burn per month, redemption rate, breakage, the tier
    distribution and migration, over the members in ``user``'s scope."""
    today = today or timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    visible = customers_visible_to(user).values("pk")
    members = Member.objects.filter(status=MemberStatus.ACTIVE, customer__in=visible)
    totals = members.aggregate(n=Count("pk"), points=Sum("balance"))
    entries = Entry.objects.filter(member__customer__in=visible, occurred_at__gte=since)
    by_kind = entries.values("kind").annotate(p=Sum("points"))
    sums = {r["kind"]: int(r["p"] or 0) for r in by_kind}
    earned = sums.get(EntryKind.EARN, 0)
    burned = -(sums.get(EntryKind.REDEEM, 0)) - sums.get(EntryKind.REVERSE, 0)
    expired = -sums.get(EntryKind.EXPIRE, 0)
    monthly = _monthly(entries, first, today)
    programme = Programme.objects.order_by("pk").first()
    cpp = programme.cost_per_point if programme else Decimal("0.01")
    outstanding = int(totals["points"] or 0)
    tiers = [
        (t, n)
        for t, n in ((t, members.filter(tier=t).count()) for t in Tier.objects.order_by("rank"))
    ]
    migration = [
        (r["from_tier__code"] or "—", r["to_tier__code"], r["n"])
        for r in TierChange.objects.filter(member__customer__in=visible, on__gte=first)
        .values("from_tier__code", "to_tier__code")
        .annotate(n=Count("pk"))
        .order_by("from_tier__code", "to_tier__code")
    ]
    return LoyaltyKpis(
        members=int(totals["n"] or 0),
        outstanding=outstanding,
        liability=(Decimal(outstanding) * cpp).quantize(Decimal("0.01")),
        cost_per_point=cpp,
        earned_12m=earned,
        burned_12m=burned,
        expired_12m=expired,
        redemption_rate=burned / earned if earned else None,
        breakage=expired / earned if earned else None,
        by_month=monthly,
        tiers=tiers,
        migration=migration,
    )


def _monthly(
    entries: QuerySet[Entry], first: dt.date, today: dt.date
) -> list[tuple[dt.date, int, int, int]]:
    """Earned, redeemed (net of cancellations) and expired points per calendar month."""
    month = sql.local_month("e.occurred_at")
    ids_sql, params = entries.values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {month} AS m, e.kind, SUM(e.points) FROM loyalty_entry e "  # noqa: S608
            f"WHERE e.id IN ({ids_sql}) GROUP BY {month}, e.kind",
            params,
        )
        rows = cur.fetchall()
    out: dict[dt.date, list[int]] = {}
    d = first
    while d <= today:
        out[d] = [0, 0, 0]
        d = (d + dt.timedelta(days=32)).replace(day=1)
    for m, kind, pts in rows:
        key = m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m)[:10])
        if key not in out:
            continue
        if kind == EntryKind.EARN:
            out[key][0] += int(pts)
        elif kind in (EntryKind.REDEEM, EntryKind.REVERSE):
            out[key][1] -= int(pts)
        elif kind == EntryKind.EXPIRE:
            out[key][2] -= int(pts)
    return [(m, *v) for m, v in out.items()]  # type: ignore[misc]
