"""The programme's set-based runs: earning over transactions and AUM, expiry, the tiers'
re-evaluation and the nightly balance check (each a few SQL statements, see ``sql``)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from bankcrm.banking.models import Transaction
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction
from bankcrm.loyalty import sql
from bankcrm.loyalty.models import (
    BalanceCheck,
    EntryKind,
    Member,
    MemberStatus,
    Programme,
    Tier,
    TierBasis,
    TierChange,
)
from bankcrm.loyalty.services import programme_get

# Transactions per earning chunk: each chunk is one transaction of the database.
EARN_CHUNK = 200_000


@dataclass
class RunResult:
    entries: int = 0
    points: int = 0
    members: int = 0
    enrolled: int = 0
    scanned: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "points": self.points,
            "members": self.members,
            "enrolled": self.enrolled,
            "scanned": self.scanned,
            "seconds": round(self.seconds, 3),
            **self.extra,
        }


def _batch() -> int:
    return secrets.randbits(62)


def earn_transactions(
    *,
    since_id: int | None = None,
    chunk: int = EARN_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Earn on the transactions after the programme's mark (or after ``since_id``, for a
    re-scan), chunk by chunk, each in one database transaction with its balances. A replay
    adds nothing: every entry is keyed by transaction and rule."""
    started = time.perf_counter()
    result = RunResult()
    programme = programme_get()
    if not programme.is_active:
        return result
    lo = programme.earned_through_txn if since_id is None else since_id
    top = Transaction.objects.aggregate(m=Max("id"))["m"] or 0
    total = max(top - lo, 0)
    while lo < top:
        hi = min(lo + chunk, top)
        with transaction.atomic():
            now, batch = timezone.now(), _batch()
            sql.enrol_lock()
            result.enrolled += sql.enrol_transacting(
                lo=lo, hi=hi, now=now, today=timezone.localdate()
            )
            sql.earn_spend(lo=lo, hi=hi, batch=batch, now=now, expiry_years=programme.expiry_years)
            entries, members, points = sql.apply_batch(batch)
            result.entries += entries
            result.members += members
            result.points += points
            Programme.objects.filter(pk=programme.pk, earned_through_txn__lt=hi).update(
                earned_through_txn=hi
            )
        result.scanned += hi - lo
        lo = hi
        if progress is not None:
            progress(result.scanned, total)
    result.seconds = time.perf_counter() - started
    if result.entries:
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            object_type="loyalty.entry",
            changes={"earned": result.as_dict()},
            purpose="loyalty earning",
        )
    return result


def earn_aum_month(*, month: dt.date) -> RunResult:
    """AUM points for the month starting ``month`` (once per member, month and rule)."""
    started = time.perf_counter()
    programme = programme_get()
    month = month.replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    at = timezone.make_aware(dt.datetime.combine(following, dt.time())) - dt.timedelta(seconds=1)
    with transaction.atomic():
        batch = _batch()
        sql.earn_aum(
            month=month,
            batch=batch,
            now=timezone.now(),
            at=at,
            expiry_years=programme.expiry_years,
        )
        n, members, points = sql.apply_batch(batch)
    return RunResult(
        entries=n, points=points, members=members, seconds=time.perf_counter() - started
    )


def expire_points(*, on: dt.date) -> RunResult:
    """Expire what is left of every lot whose last day was before ``on`` (FIFO)."""
    started = time.perf_counter()
    with transaction.atomic():
        batch = _batch()
        sql.expire(on=on, batch=batch, now=timezone.now())
        n, members, points = sql.apply_batch(batch)
        if n:
            audit_record(
                actor=None,
                action=AuditAction.CREATE,
                object_type="loyalty.entry",
                changes={"expired": {"entries": n, "points": points, "on": on.isoformat()}},
                purpose="loyalty expiry",
            )
    return RunResult(
        entries=n, points=points, members=members, seconds=time.perf_counter() - started
    )


def _window_start(today: dt.date, months: int) -> dt.datetime:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, 28)
    return timezone.make_aware(dt.datetime(y, m + 1, day))


def _day_after(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def qualifying_points(*, today: dt.date) -> list[int]:
    """Every active member's points earned in the programme's tier window to ``today``."""
    since = _window_start(today, programme_get().tier_window_months)
    rows = Member.objects.filter(status=MemberStatus.ACTIVE).annotate(
        q=Sum(
            "entries__points",
            filter=Q(
                entries__kind=EntryKind.EARN,
                entries__occurred_at__gte=since,
                entries__occurred_at__lt=_day_after(today),
            ),
        )
    )
    return [int(q or 0) for q in rows.values_list("q", flat=True)]


def tiers_evaluate(*, today: dt.date | None = None) -> RunResult:
    """Each member's tier by the programme's basis: an upgrade at once, a downgrade after the
    grace period (counted from the day they first fell short); every change recorded."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    programme = programme_get()
    tiers = list(Tier.objects.order_by("rank"))
    if not tiers:
        return RunResult()
    by_id = {t.pk: t for t in tiers}
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    if programme.tier_basis == TierBasis.AUM:
        rows = members.values_list("pk", "tier_id", "downgrade_due_since", "customer__aum")
    else:
        since = _window_start(today, programme.tier_window_months)
        rows = members.annotate(
            q=Sum(
                "entries__points",
                filter=Q(
                    entries__kind=EntryKind.EARN,
                    entries__occurred_at__gte=since,
                    entries__occurred_at__lt=_day_after(today),
                ),
            )
        ).values_list("pk", "tier_id", "downgrade_due_since", "q")
    changes, started_grace, cleared = 0, 0, 0
    now = timezone.now()
    for pk, tier_id, due, q in rows.iterator(chunk_size=5000):
        value = q or 0
        field_name = "min_aum" if programme.tier_basis == TierBasis.AUM else "min_points"
        target = tiers[0]
        for t in tiers:
            if value >= getattr(t, field_name):
                target = t
        current = by_id.get(tier_id) if tier_id else None
        if current is not None and target.rank == current.rank:
            if due is not None:
                Member.objects.filter(pk=pk).update(downgrade_due_since=None)
                cleared += 1
            continue
        if current is not None and target.rank < current.rank:
            if due is None:
                Member.objects.filter(pk=pk).update(downgrade_due_since=today)
                started_grace += 1
                continue
            if (today - due).days < programme.downgrade_grace_days:
                continue
            reason = f"below {current.code} for {programme.downgrade_grace_days} days ({value})"
        elif current is not None:
            reason = f"qualified for {target.code} ({value})"
        else:
            reason = "first tier"
        with transaction.atomic():
            Member.objects.filter(pk=pk).update(
                tier=target, tier_since=today, downgrade_due_since=None
            )
            TierChange.objects.create(
                member_id=pk,
                from_tier=current,
                to_tier=target,
                on=today,
                reason=reason[:200],
                created_at=now,
            )
        changes += 1
    return RunResult(
        members=changes,
        seconds=time.perf_counter() - started,
        extra={"grace_started": started_grace, "grace_cleared": cleared},
    )


def balance_check() -> BalanceCheck:
    """Every stored balance against the sum of its entries, recorded (there must never be a
    difference; the nightly job fails when there is one)."""
    started = time.perf_counter()
    members, differences, sample = sql.balance_differences()
    return BalanceCheck.objects.create(
        at=timezone.now(),
        members=members,
        differences=differences,
        sample=sample,
        seconds=time.perf_counter() - started,
    )
