"""The demo bank's sales: leads from every source, opportunities in every stage (some won from
the customers' recommendations, some lost with a reason), monthly targets for every RM, and a
full agenda for the demo RMs. Deterministic by the bank's seed; run after the scoring so the
recommendations and the at-risk worklist are there to draw from."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bankcrm.banking.models import Product, ProductStatus
from bankcrm.core.models import User
from bankcrm.core.validators import resident_id_check_char
from bankcrm.customers.models import Customer
from bankcrm.demo.plan import DemoConfig
from bankcrm.insights.models import CustomerScore, RunStatus
from bankcrm.interactions.models import Interaction, Task, TaskSource
from bankcrm.sales.models import (
    CLOSED_STAGES,
    ActivityLink,
    Lead,
    LeadSource,
    LeadStatus,
    LostReason,
    Opportunity,
    OpportunityOrigin,
    RmTarget,
    Stage,
    StageChange,
)

PER_RM_OPPORTUNITIES = 9  # one in each stage and two more won
PER_RM_LEADS = 6  # one from each source
DEMO_RMS = ("rm_demo", "rm_demo2")
LEAD_NAMES = ["赵敏", "钱进", "孙丽", "周杰", "吴昊", "郑爽", "冯媛", "陈晨", "褚楠", "卫东"]
FLOW = [Stage.IDENTIFIED, Stage.CONTACTED, Stage.NEEDS_ASSESSED, Stage.PROPOSAL, Stage.APPLICATION]


def _resident_id(rng: random.Random) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
    first17 = f"110105{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def _stages_of(target: str) -> list[str]:
    if target == Stage.LOST:
        return [Stage.IDENTIFIED, Stage.CONTACTED, Stage.LOST]
    if target == Stage.WON:
        return [*FLOW, Stage.WON]
    return [str(s) for s in FLOW[: FLOW.index(Stage(target)) + 1]]


@transaction.atomic
def build_demo_sales(*, config: DemoConfig, out: Callable[[str], None] | None = None) -> str:
    started = time.perf_counter()
    rng = random.Random(config.seed * 1009 + 11)
    today = timezone.localdate()
    now = timezone.now()
    rms = list(User.objects.filter(role="rm", is_active=True).order_by("pk"))
    products = list(Product.objects.filter(status=ProductStatus.ON_SALE).order_by("code"))
    if not rms or not products:
        return "Sales: no RMs or products, nothing to add."
    by_code = {p.code: p for p in products}
    # Safe to propose to anyone: what a customer without a current assessment is offered.
    plain = [p for p in products if p.category in ("deposit", "time_deposit", "loan")] or products
    run = CustomerScore.objects.filter(run__status=RunStatus.SUCCEEDED).order_by("-run_id")
    latest = run.values_list("run_id", flat=True).first()
    opps: list[Opportunity] = []
    changes: list[tuple[int, list[str], dt.datetime]] = []
    leads: list[Lead] = []
    targets: list[RmTarget] = []
    sources = list(LeadSource.values)
    reasons = list(LostReason.values)
    for n, rm in enumerate(rms):
        customers = list(
            Customer.objects.filter(rm=rm).order_by("pk").values_list("pk", "branch_id")[:40]
        )
        if not customers:
            continue
        recs: dict[int, list[str]] = {}
        if latest is not None:
            for cid, rows in CustomerScore.objects.filter(
                run_id=latest, customer_id__in=[c for c, _b in customers]
            ).values_list("customer_id", "recommendations"):
                recs[cid] = [
                    str(r.get("product")) for r in rows or [] if r.get("product") in by_code
                ]
        targets_cycle = [*Stage.values, Stage.WON, Stage.WON]
        for i, target in enumerate(targets_cycle[:PER_RM_OPPORTUNITIES]):
            cid, branch_id = customers[(i * 3 + n) % len(customers)]
            from_rec = bool(recs.get(cid)) and target in (
                Stage.WON,
                Stage.PROPOSAL,
                Stage.IDENTIFIED,
            )
            product = by_code[recs[cid][0]] if from_rec else plain[(i + n) % len(plain)]
            if any(
                o.customer_id == cid and o.product_id == product.pk and o.stage not in CLOSED_STAGES
                for o in opps
            ):
                product = plain[(i + n + 1) % len(plain)]
            opened = now - dt.timedelta(days=rng.randint(10, 80))
            closed = target in CLOSED_STAGES
            closed_at = min(now, opened + dt.timedelta(days=rng.randint(5, 40))) if closed else None
            amount = Decimal(rng.choice([50, 80, 100, 200, 300, 500])) * 1000
            opps.append(
                Opportunity(
                    customer_id=cid,
                    product=product,
                    rm=rm,
                    branch_id=branch_id,
                    stage=target,
                    expected_amount=amount,
                    expected_close_on=today + dt.timedelta(days=rng.randint(5, 60)),
                    next_step=""
                    if closed
                    else rng.choice(["电话沟通", "面谈", "送方案", "补充资料"]),
                    next_step_on=None if closed else today + dt.timedelta(days=rng.randint(-3, 6)),
                    lost_reason=reasons[(i + n) % len(reasons)] if target == Stage.LOST else "",
                    origin=OpportunityOrigin.RECOMMENDATION
                    if from_rec
                    else OpportunityOrigin.STAFF,
                    created_by=rm,
                    stage_changed_at=closed_at or opened,
                    closed_at=closed_at,
                )
            )
            changes.append((len(opps) - 1, _stages_of(target), opened))
        for j in range(PER_RM_LEADS):
            source = sources[j % len(sources)]
            mobile = f"199{(n * PER_RM_LEADS + j) % 10**8:08d}"
            referrer = (
                customers[j % len(customers)][0] if source == LeadSource.CUSTOMER_REFERRAL else None
            )
            number = _resident_id(rng) if j % 2 == 0 else ""
            leads.append(
                Lead(
                    name=LEAD_NAMES[(n + j) % len(LEAD_NAMES)],
                    mobile=mobile,
                    mobile_last4=mobile[-4:],
                    id_number=number,
                    id_last4=number[-4:],
                    birth_date=dt.date(1970 + (n + j) % 30, 1 + j, 1 + n % 28),
                    source=source,
                    referrer_customer_id=referrer,
                    referrer_staff=rms[(n + 1) % len(rms)]
                    if source == LeadSource.STAFF_REFERRAL
                    else None,
                    campaign_ref="2026-双十二理财季" if source == LeadSource.CAMPAIGN else "",
                    branch_id=rm.branch_id or customers[0][1],
                    rm=rm,
                    status=LeadStatus.QUALIFIED if j % 3 == 1 else LeadStatus.NEW,
                    need="定期存款到期再投资" if j % 3 == 1 else "",
                    product_interest=plain[j % len(plain)] if j % 3 == 1 else None,
                    expected_aum=Decimal(rng.choice([100, 300, 500, 1000])) * 1000,
                    follow_up_on=today + dt.timedelta(days=rng.randint(-2, 5)),
                    created_by=rm,
                )
            )
        month = today.replace(day=1)
        for back in range(3):
            m = month
            for _ in range(back):
                m = (m - dt.timedelta(days=1)).replace(day=1)
            targets.append(
                RmTarget(
                    rm=rm,
                    month=m,
                    new_customers=rng.randint(3, 10),
                    aum_growth=Decimal(rng.randint(5, 50)) * 100_000,
                    products_sold=rng.randint(5, 20),
                    pipeline_won=Decimal(rng.randint(5, 30)) * 100_000,
                    activities=rng.randint(40, 120),
                )
            )
        if out is not None and n % 200 == 199:
            out(f"  sales: {n + 1:,} of {len(rms):,} RMs")
    created = Opportunity.objects.bulk_create(opps, batch_size=2000)
    opened_at = {o.pk: changes[i][2] for i, o in enumerate(created)}
    for o in created:
        o.created_at = opened_at[o.pk]
    Opportunity.objects.bulk_update(created, ["created_at"], batch_size=2000)
    rows = []
    for i, stages in ((i, s) for i, s, _at in changes):
        o = created[i]
        span = ((o.closed_at or now) - opened_at[o.pk]) / max(1, len(stages))
        for k, stage in enumerate(stages):
            rows.append(
                StageChange(
                    opportunity=o,
                    from_stage=stages[k - 1] if k else "",
                    to_stage=stage,
                    changed_at=opened_at[o.pk] + span * k,
                    changed_by=o.rm,
                )
            )
    StageChange.objects.bulk_create(rows, batch_size=5000)
    Lead.objects.bulk_create(leads, batch_size=2000)
    RmTarget.objects.bulk_create(targets, batch_size=2000, ignore_conflicts=True)
    agenda = _demo_agendas(rng=rng, today=today)
    return (
        f"Sales: {len(leads):,} leads, {len(created):,} opportunities "
        f"({sum(o.origin == OpportunityOrigin.RECOMMENDATION for o in created):,} from "
        f"recommendations), {len(targets):,} RM targets, {agenda} agenda items for the demo "
        f"RMs, in {time.perf_counter() - started:.1f} s."
    )


def _demo_agendas(*, rng: random.Random, today: dt.date) -> int:
    """Tasks due and overdue, a reminder, and logged contacts on the demo RMs' leads and
    opportunities: the agenda they open first is full."""
    added = 0
    for rm in User.objects.filter(username__in=DEMO_RMS).order_by("username"):
        mine = list(Customer.objects.filter(rm=rm).order_by("-aum", "pk")[:8])
        for k, c in enumerate(mine[:6]):
            Task.objects.create(
                customer=c,
                assignee=rm,
                created_by=rm,
                title=[
                    "回访理财到期",
                    "确认转账",
                    "生日问候",
                    "补充风险测评",
                    "邀约面谈",
                    "挽留回访",
                ][k],
                due_on=today + dt.timedelta(days=k - 2),
                remind_on=today if k == 4 else None,
                source=TaskSource.RETENTION if k == 5 else "",
            )
            added += 1
        for o in Opportunity.objects.filter(rm=rm, stage__in=FLOW).order_by("pk")[:3]:
            i = Interaction.objects.create(
                customer_id=o.customer_id,
                staff=rm,
                kind="call",
                subject="电话沟通产品方案",
                occurred_at=timezone.now() - dt.timedelta(days=rng.randint(1, 5)),
            )
            ActivityLink.objects.create(interaction=i, opportunity=o)
        for lead in Lead.objects.filter(rm=rm).order_by("pk")[:2]:
            i = Interaction.objects.create(
                customer=None,
                staff=rm,
                kind="visit",
                subject="到店咨询",
                occurred_at=timezone.now(),
            )
            ActivityLink.objects.create(interaction=i, lead=lead)
        added += Opportunity.objects.filter(rm=rm, stage__in=FLOW).count()
        added += Lead.objects.filter(rm=rm).count()
    return added
