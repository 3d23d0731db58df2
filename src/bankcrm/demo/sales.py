"""The demo bank's sales: leads from every source, opportunities in every stage (some won from
the customers' recommendations, some lost with a reason), monthly targets for every RM, and a
full agenda for the demo RMs. Deterministic by the bank's seed; run after the scoring so the
recommendations and the at-risk worklist are there to draw from."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bankcrm.banking.models import Product, ProductStatus
from bankcrm.core.models import User
from bankcrm.core.validators import resident_id_check_char
from bankcrm.customers.models import Customer
from bankcrm.demo.plan import DemoConfig
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
from bankcrm.sales.selectors import recommended_products

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


@dataclass
class _Bank:
    """What the generator draws from, and what it has made so far."""

    rng: random.Random
    today: dt.date
    now: dt.datetime
    rms: list[User]
    by_code: dict[str, Product]
    plain: list[Product]  # safe to propose to anyone: no assessment needed
    opps: list[Opportunity] = field(default_factory=list)
    changes: list[tuple[int, list[str], dt.datetime]] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    targets: list[RmTarget] = field(default_factory=list)


@transaction.atomic
def build_demo_sales(*, config: DemoConfig, out: Callable[[str], None] | None = None) -> str:
    started = time.perf_counter()
    rms = list(User.objects.filter(role="rm", is_active=True).order_by("pk"))
    products = list(Product.objects.filter(status=ProductStatus.ON_SALE).order_by("code"))
    if not rms or not products:
        return "Sales: no RMs or products, nothing to add."
    plain = [p for p in products if p.category in ("deposit", "time_deposit", "loan")] or products
    bank = _Bank(
        rng=random.Random(config.seed * 1009 + 11),
        today=timezone.localdate(),
        now=timezone.now(),
        rms=rms,
        by_code={p.code: p for p in products},
        plain=plain,
    )
    for n, rm in enumerate(rms):
        customers = list(
            Customer.objects.filter(rm=rm).order_by("pk").values_list("pk", "branch_id")[:40]
        )
        if not customers:
            continue
        recs = recommended_products(customer_ids=[c for c, _b in customers])
        _opportunities(bank, n, rm, customers, recs)
        _leads(bank, n, rm, customers)
        _targets(bank, rm)
        if out is not None and n % 200 == 199:
            out(f"  sales: {n + 1:,} of {len(rms):,} RMs")
    created = _write(bank)
    agenda = _demo_agendas(rng=bank.rng, today=bank.today)
    from_recs = sum(o.origin == OpportunityOrigin.RECOMMENDATION for o in created)
    return (
        f"Sales: {len(bank.leads):,} leads, {len(created):,} opportunities "
        f"({from_recs:,} from recommendations), {len(bank.targets):,} RM targets, {agenda} "
        f"agenda items for the demo RMs, in {time.perf_counter() - started:.1f} s."
    )


def _opportunities(
    bank: _Bank, n: int, rm: User, customers: list[tuple[int, int]], recs: dict[int, list[str]]
) -> None:
    """One opportunity in each stage and two more won; those at identified, proposal and won
    from the customer's recommendation where the run made one."""
    rng, reasons = bank.rng, list(LostReason.values)
    cycle = [*Stage.values, Stage.WON, Stage.WON]
    for i, target in enumerate(cycle[:PER_RM_OPPORTUNITIES]):
        cid, branch_id = customers[(i * 3 + n) % len(customers)]
        codes = [c for c in recs.get(cid, []) if c in bank.by_code]
        from_rec = bool(codes) and target in (Stage.WON, Stage.PROPOSAL, Stage.IDENTIFIED)
        product = bank.by_code[codes[0]] if from_rec else bank.plain[(i + n) % len(bank.plain)]
        if any(
            o.customer_id == cid and o.product_id == product.pk and o.stage not in CLOSED_STAGES
            for o in bank.opps
        ):
            product = bank.plain[(i + n + 1) % len(bank.plain)]
        opened = bank.now - dt.timedelta(days=rng.randint(10, 80))
        closed = target in CLOSED_STAGES
        closed_at = (
            min(bank.now, opened + dt.timedelta(days=rng.randint(5, 40))) if closed else None
        )
        step = "" if closed else rng.choice(["电话沟通", "面谈", "送方案", "补充资料"])
        bank.opps.append(
            Opportunity(
                customer_id=cid,
                product=product,
                rm=rm,
                branch_id=branch_id,
                stage=target,
                expected_amount=Decimal(rng.choice([50, 80, 100, 200, 300, 500])) * 1000,
                expected_close_on=bank.today + dt.timedelta(days=rng.randint(5, 60)),
                next_step=step,
                next_step_on=None if closed else bank.today + dt.timedelta(days=rng.randint(-3, 6)),
                lost_reason=reasons[(i + n) % len(reasons)] if target == Stage.LOST else "",
                origin=OpportunityOrigin.RECOMMENDATION if from_rec else OpportunityOrigin.STAFF,
                created_by=rm,
                stage_changed_at=closed_at or opened,
                closed_at=closed_at,
            )
        )
        bank.changes.append((len(bank.opps) - 1, _stages_of(target), opened))


def _leads(bank: _Bank, n: int, rm: User, customers: list[tuple[int, int]]) -> None:
    """One lead from each source: referrals name their referrer, campaign responses their
    campaign; a third qualified."""
    sources, rng = list(LeadSource.values), bank.rng
    for j in range(PER_RM_LEADS):
        source = sources[j % len(sources)]
        mobile = f"199{(n * PER_RM_LEADS + j) % 10**8:08d}"
        number = _resident_id(rng) if j % 2 == 0 else ""
        qualified = j % 3 == 1
        bank.leads.append(
            Lead(
                name=LEAD_NAMES[(n + j) % len(LEAD_NAMES)],
                mobile=mobile,
                mobile_last4=mobile[-4:],
                id_number=number,
                id_last4=number[-4:],
                birth_date=dt.date(1970 + (n + j) % 30, 1 + j, 1 + n % 28),
                source=source,
                referrer_customer_id=customers[j % len(customers)][0]
                if source == LeadSource.CUSTOMER_REFERRAL
                else None,
                referrer_staff=bank.rms[(n + 1) % len(bank.rms)]
                if source == LeadSource.STAFF_REFERRAL
                else None,
                campaign_ref="2026-双十二理财季" if source == LeadSource.CAMPAIGN else "",
                branch_id=rm.branch_id or customers[0][1],
                rm=rm,
                status=LeadStatus.QUALIFIED if qualified else LeadStatus.NEW,
                need="定期存款到期再投资" if qualified else "",
                product_interest=bank.plain[j % len(bank.plain)] if qualified else None,
                expected_aum=Decimal(rng.choice([100, 300, 500, 1000])) * 1000,
                follow_up_on=bank.today + dt.timedelta(days=rng.randint(-2, 5)),
                created_by=rm,
            )
        )


def _targets(bank: _Bank, rm: User) -> None:
    """This month's target and the two before."""
    month, rng = bank.today.replace(day=1), bank.rng
    for _ in range(3):
        bank.targets.append(
            RmTarget(
                rm=rm,
                month=month,
                new_customers=rng.randint(3, 10),
                aum_growth=Decimal(rng.randint(5, 50)) * 100_000,
                products_sold=rng.randint(5, 20),
                pipeline_won=Decimal(rng.randint(5, 30)) * 100_000,
                activities=rng.randint(40, 120),
            )
        )
        month = (month - dt.timedelta(days=1)).replace(day=1)


def _write(bank: _Bank) -> list[Opportunity]:
    """The rows in bulk: opportunities opened in the past, each with its stage history."""
    created = Opportunity.objects.bulk_create(bank.opps, batch_size=2000)
    opened_at = {o.pk: bank.changes[i][2] for i, o in enumerate(created)}
    for o in created:
        o.created_at = opened_at[o.pk]
    Opportunity.objects.bulk_update(created, ["created_at"], batch_size=2000)
    rows = []
    for i, stages, _at in bank.changes:
        o = created[i]
        span = ((o.closed_at or bank.now) - opened_at[o.pk]) / max(1, len(stages))
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
    Lead.objects.bulk_create(bank.leads, batch_size=2000)
    RmTarget.objects.bulk_create(bank.targets, batch_size=2000, ignore_conflicts=True)
    return created


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
