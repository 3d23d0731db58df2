"""RM performance per month, against their targets: what the branch manager's side-by-side
page and /api/v1/rm-performance read. A fixed number of grouped queries for any number of RMs.

Definitions (docs/sales.md):
- new customers: customers onboarded in the month whose RM is the RM now;
- AUM growth: the month-end AUM of the RM's portfolio less the previous month's
  (`insights.AumMonthly`, rebuilt after each balance load);
- products sold: accounts opened in the month by the RM's customers;
- cross-sell ratio: open products per customer of the portfolio;
- pipeline won: the expected amount of opportunities the RM won in the month; conversion by
  stage: of the RM's opportunities closed in the month that reached a stage, the share won;
- average cycle time: days from opening to winning, of those won in the month;
- activities: interactions the RM logged in the month;
- retained at-risk customers: customers of the RM whose retention task was completed in the
  month and who are still active;
- referrals: leads the RM referred to a colleague in the month (the referrer's credit).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from bankcrm.banking.models import Account, AccountStatus
from bankcrm.core.models import User
from bankcrm.customers.models import Customer, CustomerStatus
from bankcrm.customers.selectors import staff_visible_to
from bankcrm.interactions.models import Interaction, Task, TaskSource, TaskStatus
from bankcrm.sales.models import OPEN_STAGES, Lead, Opportunity, RmTarget, Stage, StageChange

FUNNEL = [s for s in OPEN_STAGES]


@dataclass
class RmMonth:
    rm_id: int
    rm_name: str
    month: dt.date
    new_customers: int = 0
    aum: Decimal = Decimal(0)
    aum_growth: Decimal = Decimal(0)
    products_sold: int = 0
    customers: int = 0
    products_held: int = 0
    pipeline_won: Decimal = Decimal(0)
    won: int = 0
    lost: int = 0
    conversion: dict[str, float | None] = field(default_factory=dict)
    cycle_days: float | None = None
    activities: int = 0
    retained_at_risk: int = 0
    referrals: int = 0  # leads the RM referred to a colleague, credited to them
    target: RmTarget | None = None

    @property
    def cross_sell_ratio(self) -> float:
        return round(self.products_held / self.customers, 2) if self.customers else 0.0

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return round(self.won / closed, 3) if closed else None

    def against(self, name: str) -> float | None:
        """The share of the target reached for ``name`` (None without a target)."""
        if self.target is None:
            return None
        goal = getattr(self.target, name)
        return round(float(getattr(self, name)) / float(goal), 3) if goal else None


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def prev_month(d: dt.date) -> dt.date:
    return (d.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def rms_for(user: User) -> QuerySet[User]:
    """The RMs whose figures ``user`` reads: an RM their own, a manager their branch."""
    return staff_visible_to(user).order_by("username")


def _aware(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def rm_performance(*, user: User, month: dt.date, rm_ids: list[int] | None = None) -> list[RmMonth]:
    start = month_start(month)
    rms = list(rms_for(user))
    if rm_ids is not None:
        rms = [r for r in rms if r.pk in rm_ids]
    out = {r.pk: RmMonth(rm_id=r.pk, rm_name=r.display_name, month=start) for r in rms}
    if not out:
        return []
    _portfolio(out, start)
    _aum(out, start)
    _pipeline(out, start)
    _activity(out, start)
    for t in RmTarget.objects.filter(rm_id__in=list(out), month=start):
        out[t.rm_id].target = t
    return [out[r.pk] for r in rms]


def _portfolio(out: dict[int, RmMonth], start: dt.date) -> None:
    """One pass over the RMs' customers and one over their accounts, each counting two things."""
    ids, end = list(out), next_month(start)
    for r in (
        Customer.objects.filter(rm_id__in=ids)
        .values("rm_id")
        .annotate(
            new=Count("id", filter=Q(onboarded_on__gte=start, onboarded_on__lt=end)),
            held=Count("id", filter=~Q(status=CustomerStatus.CLOSED)),
        )
    ):
        out[r["rm_id"]].new_customers, out[r["rm_id"]].customers = r["new"], r["held"]
    for a in (
        Account.objects.filter(customer__rm_id__in=ids)
        .values("customer__rm_id")
        .annotate(
            sold=Count("id", filter=Q(opened_on__gte=start, opened_on__lt=end)),
            held=Count("id", filter=~Q(status=AccountStatus.CLOSED)),
        )
    ):
        m = out[a["customer__rm_id"]]
        m.products_sold, m.products_held = a["sold"], a["held"]


def _aum(out: dict[int, RmMonth], start: dt.date) -> None:
    from bankcrm.insights.models import AumMonthly

    before = prev_month(start)
    aum: dict[int, dict[dt.date, Decimal]] = defaultdict(
        lambda: {start: Decimal(0), before: Decimal(0)}
    )
    for r in (
        AumMonthly.objects.filter(rm_id__in=list(out), month__in=[start, before])
        .values("rm_id", "month")
        .annotate(v=Sum("aum"))
    ):
        aum[r["rm_id"]][r["month"]] = r["v"] or Decimal(0)
    for rid, by_month in aum.items():
        out[rid].aum = by_month[start]
        out[rid].aum_growth = by_month[start] - by_month[before]


def _pipeline(out: dict[int, RmMonth], start: dt.date) -> None:
    """Won and lost in the month, their amounts, cycle time and conversion by stage."""
    t0, t1 = _aware(start), _aware(next_month(start))
    closed = Opportunity.objects.filter(rm_id__in=list(out), closed_at__gte=t0, closed_at__lt=t1)
    for c in closed.values("rm_id", "stage").annotate(n=Count("id"), v=Sum("expected_amount")):
        m = out[c["rm_id"]]
        if c["stage"] == Stage.WON:
            m.won, m.pipeline_won = c["n"], c["v"] or Decimal(0)
        elif c["stage"] == Stage.LOST:
            m.lost = c["n"]
    cycles: dict[int, list[float]] = defaultdict(list)
    for rid, created, closed_at in closed.filter(stage=Stage.WON).values_list(
        "rm_id", "created_at", "closed_at"
    ):
        if closed_at is not None:
            cycles[rid].append((closed_at - created).total_seconds() / 86400)
    for rid, days in cycles.items():
        out[rid].cycle_days = round(sum(days) / len(days), 1)
    reached: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: {"n": 0, "won": 0})
    for sc in (
        StageChange.objects.filter(opportunity__in=closed, to_stage__in=FUNNEL)
        .values("opportunity__rm_id", "to_stage", "opportunity__stage")
        .annotate(n=Count("opportunity_id", distinct=True))
    ):
        cell = reached[(sc["opportunity__rm_id"], sc["to_stage"])]
        cell["n"] += sc["n"]
        if sc["opportunity__stage"] == Stage.WON:
            cell["won"] += sc["n"]
    for m in out.values():
        for stage in FUNNEL:
            got = reached.get((m.rm_id, stage))
            m.conversion[stage] = round(got["won"] / got["n"], 3) if got and got["n"] else None


def _activity(out: dict[int, RmMonth], start: dt.date) -> None:
    """Interactions logged, at-risk customers whose retention task was done, and the leads
    the RM referred to a colleague."""
    ids, t0, t1 = list(out), _aware(start), _aware(next_month(start))
    for r in (
        Interaction.objects.filter(staff_id__in=ids, occurred_at__gte=t0, occurred_at__lt=t1)
        .values("staff_id")
        .annotate(v=Count("id"))
    ):
        out[r["staff_id"]].activities = r["v"]
    for t in (
        Task.objects.filter(
            customer__rm_id__in=ids,
            source=TaskSource.RETENTION,
            status=TaskStatus.DONE,
            completed_at__gte=t0,
            completed_at__lt=t1,
            customer__status=CustomerStatus.ACTIVE,
        )
        .values("customer__rm_id")
        .annotate(v=Count("customer_id", distinct=True))
    ):
        out[t["customer__rm_id"]].retained_at_risk = t["v"]
    for lead in (
        Lead.objects.filter(referrer_staff_id__in=ids, created_at__gte=t0, created_at__lt=t1)
        .values("referrer_staff_id")
        .annotate(v=Count("id"))
    ):
        out[lead["referrer_staff_id"]].referrals = lead["v"]
