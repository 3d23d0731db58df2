"""KPI inputs read from the database within the user's scope; formulas in analytics.kpi."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import get_language

from bankcrm.analytics import kpi
from bankcrm.core.dates import month_starts
from bankcrm.core.models import User
from bankcrm.core.permissions import scoped
from bankcrm.core.validators import CENT
from bankcrm.customers.models import TIER_THRESHOLDS, CustomerStatus, WealthTier
from bankcrm.customers.selectors import CustomerFilters, customers_visible_to
from bankcrm.insights.models import AumMonthly, HoldingsSummary
from bankcrm.interactions.models import Task, TaskSource, TaskStatus


@dataclass
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def last_months(cls, months: int, today: dt.date) -> Period:
        starts = month_starts(today, months)
        return cls(start=starts[0], end=today)


@dataclass
class Dashboard:
    period: Period
    customers: int
    active_customers: int
    total_aum: Decimal
    new_this_month: int
    start_count: int
    end_count: int
    new_in_period: int
    lost_in_period: int
    retention_rate: float | None
    churn_rate: float | None
    cross_sell_ratio: float | None
    aum_trend: list[tuple[dt.date, Decimal]]
    aum_by_tier: list[tuple[str, str, Decimal, int]]
    aum_by_branch: list[tuple[str, Decimal, int]]


def _tier_case() -> Case:
    whens = [When(aum__gte=floor, then=Value(str(tier))) for tier, floor in TIER_THRESHOLDS]
    return Case(*whens, default=Value(str(WealthTier.MASS)))


def _customer_counts(qs: QuerySet[Any], period: Period, today: dt.date) -> dict[str, Any]:
    """Head counts and AUM of the customers in ``qs``: now, this month, and over the period
    (at its start, at its end, joined and lost during it)."""
    month_start = today.replace(day=1)
    return qs.aggregate(
        customers=Count("id", filter=~Q(status=CustomerStatus.CLOSED)),
        active=Count("id", filter=Q(status=CustomerStatus.ACTIVE)),
        aum=Sum("aum", filter=~Q(status=CustomerStatus.CLOSED)),
        new_month=Count("id", filter=Q(onboarded_on__gte=month_start, onboarded_on__lte=today)),
        start=Count(
            "id",
            filter=Q(onboarded_on__lt=period.start)
            & (Q(closed_on__isnull=True) | Q(closed_on__gte=period.start)),
        ),
        end=Count(
            "id",
            filter=Q(onboarded_on__lte=period.end)
            & (Q(closed_on__isnull=True) | Q(closed_on__gt=period.end)),
        ),
        new=Count("id", filter=Q(onboarded_on__gte=period.start, onboarded_on__lte=period.end)),
        lost=Count(
            "id",
            filter=Q(
                onboarded_on__lt=period.start,
                closed_on__gte=period.start,
                closed_on__lte=period.end,
            ),
        ),
    )


def _aum_trend(user: User, today: dt.date) -> list[tuple[dt.date, Decimal]]:
    """AUM over the 24 months up to the newest monthly summary, from the summaries in scope."""
    latest = AumMonthly.objects.aggregate(m=Max("month"))["m"]
    starts = month_starts(min(latest, today) if latest else today, 24)
    summary = scoped(AumMonthly.objects.filter(month__gte=starts[0]), user)
    by_month = dict(
        summary.values_list("month").annotate(total=Sum("aum")).values_list("month", "total")
    )
    return [(m, (by_month.get(m) or Decimal("0")).quantize(CENT)) for m in starts]


def _aum_by_tier(open_qs: QuerySet[Any]) -> list[tuple[str, str, Decimal, int]]:
    tier_rows = {
        row["tier_code"]: (row["aum"] or Decimal("0"), row["n"])
        for row in open_qs.annotate(tier_code=_tier_case())
        .values("tier_code")
        .annotate(aum=Sum("aum", output_field=DecimalField()), n=Count("id"))
    }
    return [
        (str(t.value), str(t.label), *tier_rows.get(t.value, (Decimal("0"), 0))) for t in WealthTier
    ]


def _aum_by_branch(open_qs: QuerySet[Any]) -> list[tuple[str, Decimal, int]]:
    branch_rows = (
        open_qs.values("branch__code", "branch__name_zh", "branch__name_en")
        .annotate(aum=Sum("aum"), n=Count("id"))
        .order_by("-aum")
    )
    zh = (get_language() or "").startswith("zh")
    return [
        (r["branch__name_zh"] if zh else r["branch__name_en"], r["aum"] or Decimal("0"), r["n"])
        for r in branch_rows
    ]


def dashboard(*, user: User, period: Period, today: dt.date) -> Dashboard:
    """All dashboard figures for what `user` may see, in a fixed number of queries."""
    qs = customers_visible_to(user)
    open_qs = qs.exclude(status=CustomerStatus.CLOSED)
    counts = _customer_counts(qs, period, today)
    held = scoped(HoldingsSummary.objects.all(), user).aggregate(
        customers=Sum("customers"), holdings=Sum("holdings")
    )
    return Dashboard(
        period=period,
        customers=counts["customers"],
        active_customers=counts["active"],
        total_aum=(counts["aum"] or Decimal("0")).quantize(CENT),
        new_this_month=counts["new_month"],
        start_count=counts["start"],
        end_count=counts["end"],
        new_in_period=counts["new"],
        lost_in_period=counts["lost"],
        retention_rate=kpi.retention_rate(
            start_count=counts["start"], end_count=counts["end"], new_count=counts["new"]
        ),
        churn_rate=kpi.churn_rate(start_count=counts["start"], lost_count=counts["lost"]),
        cross_sell_ratio=kpi.cross_sell_ratio(
            product_holdings=held["holdings"] or 0, customers=held["customers"] or 0
        ),
        aum_trend=_aum_trend(user, today),
        aum_by_tier=_aum_by_tier(open_qs),
        aum_by_branch=_aum_by_branch(open_qs),
    )


def latest_score(*, customer_id: int) -> Any:
    """The customer's scores from the newest successful run, or None (one query)."""
    from bankcrm.insights.models import CustomerScore, RunStatus

    return (
        CustomerScore.objects.filter(customer_id=customer_id, run__status=RunStatus.SUCCEEDED)
        .select_related("run")
        .order_by("-run_id")
        .first()
    )


def latest_run() -> Any:
    from bankcrm.insights.models import AnalyticsRun, RunStatus

    return AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-pk").first()


def at_risk_worklist(*, user: User, limit: int = 50) -> tuple[Any, list[Any]]:
    """Customers in scope from the newest run, highest value at risk (CLV × churn) first."""
    from bankcrm.insights.models import CustomerScore

    run = latest_run()
    if run is None:
        return None, []
    retention = Task.objects.filter(
        customer_id=OuterRef("customer_id"),
        source=TaskSource.RETENTION,
        status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS],
    )
    rows = (
        CustomerScore.objects.filter(run=run, customer__in=customers_visible_to(user))
        .exclude(value_at_risk=None)
        .select_related("customer")
        .annotate(retention_due=Subquery(retention.order_by("due_on").values("due_on")[:1]))
        .order_by("-value_at_risk", "customer_id")[:limit]
    )
    return run, list(rows)


SEGMENT_GROUPS = {
    "segment": "rfm_segment",
    "tier": "tier",
    "lifecycle": "lifecycle_stage",
    "life_stage": "life_stage",
}


@dataclass
class SegmentKpi:
    key: str
    label: str
    customers: int
    aum: Decimal
    mean_clv: Decimal | None
    mean_churn_probability: float | None
    value_at_risk: Decimal | None


def segment_kpis(*, user: User, by: str = "segment") -> tuple[Any, list[SegmentKpi]]:
    """Counts, AUM, mean CLV, mean churn risk and value at risk per segment of the newest run,
    over the customers in the user's scope (one query)."""
    from django.db.models import Avg

    from bankcrm.insights.labels import LIFE_STAGES, SEGMENTS, STAGES
    from bankcrm.insights.models import CustomerScore

    field = SEGMENT_GROUPS.get(by, "rfm_segment")
    labels: dict[str, Any] = {
        "rfm_segment": SEGMENTS,
        "lifecycle_stage": STAGES,
        "life_stage": LIFE_STAGES,
        "tier": {t.value: t.label for t in WealthTier},
    }[field]
    run = latest_run()
    if run is None:
        return None, []
    rows = (
        CustomerScore.objects.filter(run=run, customer__in=customers_visible_to(user))
        .values(field)
        .annotate(
            n=Count("id"),
            aum=Sum("customer__aum"),
            clv=Avg("clv"),
            churn=Avg("churn_probability"),
            var=Sum("value_at_risk"),
        )
        .order_by("-aum")
    )
    out = [
        SegmentKpi(
            key=r[field],
            label=str(labels.get(r[field], r[field] or "—")),
            customers=r["n"],
            aum=(r["aum"] or Decimal("0")).quantize(CENT),
            mean_clv=None if r["clv"] is None else Decimal(str(r["clv"])).quantize(CENT),
            mean_churn_probability=None if r["churn"] is None else float(r["churn"]),
            value_at_risk=None if r["var"] is None else Decimal(r["var"]).quantize(CENT),
        )
        for r in rows
    ]
    return run, out


def score_filter_q(filters: CustomerFilters) -> Q:
    """Customers whose score in the newest successful run matches the filters on scores."""
    from bankcrm.insights.labels import CHURN_BANDS

    run = latest_run()
    if run is None:
        return Q(pk__in=[])
    q = Q(scores__run_id=run.pk)
    if filters.segment:
        q &= Q(scores__rfm_segment=filters.segment)
    if filters.lifecycle:
        q &= Q(scores__lifecycle_stage=filters.lifecycle)
    if filters.life_stage:
        q &= Q(scores__life_stage=filters.life_stage)
    if filters.churn in CHURN_BANDS:
        floors = sorted(floor for floor, _label in CHURN_BANDS.values())
        floor = CHURN_BANDS[filters.churn][0]
        q &= Q(scores__churn_probability__gte=floor)
        higher = [f for f in floors if f > floor]
        if higher:
            q &= Q(scores__churn_probability__lt=higher[0])
    return q


# A run's figures about the bank's whole population: how many customers are in each segment,
# tier and stage, cluster profiles, median CLV by segment, stage transitions. Roles with a
# narrow scope (RM, branch manager) do not read them; they get their own scope's figures from
# `segment_kpis` (the dashboard, /api/v1/kpis/segments). Model quality (AUC, calibration,
# lift, importances, hit rate) describes the model, not customers, and is shown to every role.
POPULATION_METRICS = frozenset(
    {"segments", "tiers", "lifecycle", "life_stages", "clusters", "clv_by_segment", "transitions"}
)


def run_metrics(*, user: User, metrics: dict[str, Any] | None) -> dict[str, Any]:
    """The metrics of a run that ``user`` may read (see `POPULATION_METRICS`)."""
    from bankcrm.core.permissions import user_scope
    from bankcrm.core.roles import Scope

    metrics = dict(metrics or {})
    if user_scope(user) == Scope.ALL:
        return metrics
    return {k: v for k, v in metrics.items() if k not in POPULATION_METRICS}
