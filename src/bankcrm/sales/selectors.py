"""Scoped reads of leads and opportunities: an RM their own, a branch manager their branch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.http import Http404

from bankcrm.banking.models import Product
from bankcrm.core.crypto import blind_index
from bankcrm.core.models import User
from bankcrm.core.permissions import scoped
from bankcrm.core.validators import normalize_mobile, normalize_resident_id
from bankcrm.customers.models import Customer
from bankcrm.customers.selectors import customers_visible_to
from bankcrm.interactions.models import Interaction
from bankcrm.sales.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Stage,
)
from bankcrm.sales.rules import probabilities

# -- leads --------------------------------------------------------------------------------


def leads_visible_to(user: User) -> QuerySet[Lead]:
    return scoped(Lead.objects.all(), user)


def lead_get(*, user: User, lead_id: int) -> Lead:
    try:
        return (
            leads_visible_to(user)
            .select_related(
                "branch",
                "rm",
                "referrer_customer",
                "referrer_staff",
                "product_interest",
                "customer",
            )
            .get(pk=lead_id)
        )
    except Lead.DoesNotExist:
        raise Http404("No such lead") from None


@dataclass
class LeadFilters:
    q: str = ""
    status: str = ""
    source: str = ""
    rm: int | None = None
    sort: str = "-created_at"


LEAD_SORTS = {"created_at", "-created_at", "name", "-name", "expected_aum", "-expected_aum"}


def lead_filters(params: Mapping[str, Any]) -> LeadFilters:
    rm = str(params.get("rm") or "")
    sort = str(params.get("sort") or "-created_at")
    status = str(params.get("status") or "")
    source = str(params.get("source") or "")
    return LeadFilters(
        q=str(params.get("q") or "").strip()[:100],
        status=status if status in LeadStatus.values else "",
        source=source if source in LeadSource.values else "",
        rm=int(rm) if rm.isdigit() and len(rm) < 10 else None,
        sort=sort if sort in LEAD_SORTS else "-created_at",
    )


def lead_list(*, user: User, filters: LeadFilters) -> QuerySet[Lead]:
    qs = leads_visible_to(user).select_related("rm", "branch", "product_interest")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.rm:
        qs = qs.filter(rm_id=filters.rm)
    return qs.order_by(filters.sort, "-id")


@dataclass
class DuplicateCheck:
    """Who a new lead may already be: customers (in scope: named and openable; elsewhere:
    counted only) and open leads, with the fields that matched."""

    customers: list[tuple[Customer, list[str]]] = field(default_factory=list)
    elsewhere: int = 0
    leads: list[tuple[Lead, list[str]]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.customers or self.elsewhere or self.leads)


def _hash(value: str, purpose: str) -> str:
    return blind_index(value, purpose) if value else ""


def lead_duplicates(
    *,
    user: User,
    id_number: str = "",
    mobile: str = "",
    name: str = "",
    birth_date: dt.date | None = None,
    exclude_lead: int | None = None,
) -> DuplicateCheck:
    """Existing customers and open leads that are this person: the resident ID and the mobile
    through their keyed hashes (both are stored encrypted), or the same name and birth date."""
    id_number = normalize_resident_id(id_number) if id_number else ""
    mobile = normalize_mobile(mobile) if mobile else ""
    hashes = {"id_number": _hash(id_number, "id_number"), "mobile": _hash(mobile, "mobile")}
    q = Q()
    if hashes["id_number"]:
        q |= Q(id_number_hash=hashes["id_number"])
    if hashes["mobile"]:
        q |= Q(mobile_hash=hashes["mobile"])
    name = name.strip()
    lead_q = q
    if name and birth_date:
        q |= Q(name_zh=name, birth_date=birth_date) | Q(name_en__iexact=name, birth_date=birth_date)
        lead_q |= Q(name=name, birth_date=birth_date)
    out = DuplicateCheck()
    if not q:
        return out

    def matched(obj: Any, names: tuple[str, ...]) -> list[str]:
        fields = [
            f
            for f in ("id_number", "mobile")
            if hashes[f] and getattr(obj, f"{f}_hash") == hashes[f]
        ]
        if name and birth_date and obj.birth_date == birth_date and name in names:
            fields.append("name_birth_date")
        return fields

    found = list(Customer.objects.filter(q).select_related("branch").order_by("customer_no")[:20])
    visible = set(
        customers_visible_to(user).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True)
    )
    for c in found:
        if c.pk in visible:
            out.customers.append((c, matched(c, (c.name_zh, c.name_en))))
        else:
            out.elsewhere += 1
    leads = leads_visible_to(user).filter(lead_q, status__in=[LeadStatus.NEW, LeadStatus.QUALIFIED])
    if exclude_lead is not None:
        leads = leads.exclude(pk=exclude_lead)
    out.leads = [(lead, matched(lead, (lead.name,))) for lead in leads[:10]]
    return out


def lead_history(*, lead: Lead, limit: int = 50) -> list[Interaction]:
    return list(Interaction.objects.filter(sales_link__lead=lead).select_related("staff")[:limit])


# -- opportunities --------------------------------------------------------------------------


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    """Opportunities of the customers the user may read (they follow their customer)."""
    return scoped(Opportunity.objects.all(), user, rm="customer__rm", branch="customer__branch")


def opportunity_get(*, user: User, opportunity_id: int) -> Opportunity:
    try:
        return (
            opportunities_visible_to(user)
            .select_related("customer", "product", "rm", "branch", "lead")
            .get(pk=opportunity_id)
        )
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity") from None


@dataclass
class OpportunityFilters:
    q: str = ""
    stage: str = ""
    product: int | None = None
    rm: int | None = None
    state: str = "open"  # open, closed, all
    closing_by: dt.date | None = None
    sort: str = "next_step_on"


OPPORTUNITY_SORTS = {
    "next_step_on",
    "-next_step_on",
    "expected_amount",
    "-expected_amount",
    "expected_close_on",
    "-expected_close_on",
    "stage",
    "-stage",
    "customer",
    "-customer",
    "created_at",
    "-created_at",
}


def _int(v: Any) -> int | None:
    s = str(v or "")
    return int(s) if s.isdigit() and len(s) < 10 else None


def opportunity_filters(params: Mapping[str, Any]) -> OpportunityFilters:
    stage = str(params.get("stage") or "")
    state = str(params.get("state") or "open")
    sort = str(params.get("sort") or "next_step_on")
    try:
        closing = dt.date.fromisoformat(str(params.get("closing_by") or ""))
    except ValueError:
        closing = None
    return OpportunityFilters(
        q=str(params.get("q") or "").strip()[:100],
        stage=stage if stage in Stage.values else "",
        product=_int(params.get("product")),
        rm=_int(params.get("rm")),
        state=state if state in ("open", "closed", "all") else "open",
        closing_by=closing,
        sort=sort if sort in OPPORTUNITY_SORTS else "next_step_on",
    )


def opportunity_list(*, user: User, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    qs = opportunities_visible_to(user).select_related("customer", "product", "rm")
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    elif filters.state == "open":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif filters.state == "closed":
        qs = qs.filter(stage__in=CLOSED_STAGES)
    if filters.q:
        qs = qs.filter(
            Q(customer__name_zh__icontains=filters.q)
            | Q(customer__name_en__icontains=filters.q)
            | Q(product__name_zh__icontains=filters.q)
            | Q(product__name_en__icontains=filters.q)
            | Q(product__code__iexact=filters.q)
        )
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.rm:
        qs = qs.filter(rm_id=filters.rm)
    if filters.closing_by:
        qs = qs.filter(expected_close_on__lte=filters.closing_by)
    order = filters.sort.replace("customer", "customer__name_zh")
    nulls = F(order.lstrip("-"))
    ordered = nulls.desc(nulls_last=True) if order.startswith("-") else nulls.asc(nulls_last=True)
    return qs.order_by(ordered, "id")


def pipeline_board(
    *, user: User, filters: OpportunityFilters, per_stage: int = 50
) -> list[tuple[Stage, list[Opportunity], int]]:
    """The board: each stage with its first cards (open ones by next step; won and lost the
    most recently closed) and its count."""
    base = opportunity_list(
        user=user,
        filters=OpportunityFilters(
            q=filters.q, product=filters.product, rm=filters.rm, state="all"
        ),
    )
    counts = dict(base.order_by().values_list("stage").annotate(n=Count("id")))
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    cards: dict[str, list[Opportunity]] = {s: [] for s in Stage.values}
    open_rows = list(base.filter(stage__in=OPEN_STAGES)[: per_stage * len(OPEN_STAGES)])
    closed_rows = list(
        base.filter(stage__in=CLOSED_STAGES, closed_at__gte=recent).order_by("-closed_at")[
            : per_stage * 2
        ]
    )
    for o in open_rows + closed_rows:
        if len(cards[o.stage]) < per_stage:
            cards[o.stage].append(o)
    return [(Stage(s), cards[s], counts.get(s, 0)) for s in Stage.values]


def _weighted_case() -> Case:
    p = probabilities()
    return Case(
        *[
            When(stage=s, then=F("expected_amount") * Value(Decimal(p.get(s, 0)) / 100))
            for s in OPEN_STAGES
        ],
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )


@dataclass
class PipelineRow:
    key: int | None
    label: str
    count: int
    amount: Decimal
    weighted: Decimal


def weighted_pipeline(*, user: User, by: str) -> list[PipelineRow]:
    """Open opportunities in scope, summed and weighted by their stage's probability, per RM,
    branch or product (one query)."""
    group = {"rm": "rm", "branch": "branch", "product": "product"}.get(by, "rm")
    rows = (
        opportunities_visible_to(user)
        .filter(stage__in=OPEN_STAGES)
        .values(f"{group}_id")
        .annotate(n=Count("id"), amount=Sum("expected_amount"), weighted=Sum(_weighted_case()))
        .order_by("-weighted")
    )
    data = list(rows)
    ids = [r[f"{group}_id"] for r in data if r[f"{group}_id"] is not None]
    names: dict[int, str] = {}
    if group == "rm":
        names = {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}
    elif group == "branch":
        from bankcrm.core.models import Branch

        names = {b.pk: b.display_name for b in Branch.objects.filter(pk__in=ids)}
    else:
        names = {p.pk: f"{p.code} {p.name_zh}" for p in Product.objects.filter(pk__in=ids)}
    return [
        PipelineRow(
            key=r[f"{group}_id"],
            label=names.get(r[f"{group}_id"], "—"),
            count=r["n"],
            amount=r["amount"] or Decimal(0),
            weighted=Decimal(r["weighted"] or 0).quantize(Decimal("0.01")),
        )
        for r in data
    ]


def recommended_products(*, customer_ids: list[int]) -> dict[int, list[str]]:
    """The product codes the newest successful analytics run recommends to each customer."""
    from bankcrm.insights.models import CustomerScore
    from bankcrm.insights.selectors import latest_run

    run = latest_run()
    if run is None:
        return {}
    rows = CustomerScore.objects.filter(run=run, customer_id__in=customer_ids).values_list(
        "customer_id", "recommendations"
    )
    return {cid: [str(r.get("product")) for r in recs or []] for cid, recs in rows}
