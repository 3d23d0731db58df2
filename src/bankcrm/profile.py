"""The customer read model: one customer as the 360 page and the 360 API show them, and the
customer search with its filters on stored scores. It sits above the domain apps and the
scores; pages and the API call it, never the domains' pieces one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from bankcrm.banking import selectors as banking
from bankcrm.banking.models import Account, Transaction
from bankcrm.core.models import User
from bankcrm.core.pagination import Page
from bankcrm.customers import selectors as customers
from bankcrm.customers.models import (
    Customer,
    CustomerStatus,
    GroupMembership,
    RiskLevel,
    RmAssignment,
    WealthTier,
)
from bankcrm.customers.selectors import ConsentState, CustomerFilters
from bankcrm.insights.labels import CHURN_BANDS, LIFE_STAGES, SEGMENTS, STAGES
from bankcrm.insights.models import CustomerScore
from bankcrm.insights.selectors import latest_score, score_filter_q
from bankcrm.interactions.models import Interaction, Task
from bankcrm.interactions.selectors import timeline


@dataclass
class CustomerProfile:
    customer: Customer
    assignments: list[RmAssignment]
    memberships: list[GroupMembership]
    consents: list[ConsentState]
    accounts: list[Account]
    aum: Decimal
    deposits: Decimal
    investments: Decimal
    liabilities: Decimal
    aum_trend: list[tuple[dt.date, Decimal]]
    transactions: list[Transaction]
    channel_mix: list[tuple[str, int]]
    interactions: list[Interaction]
    tasks: list[Task]
    score: CustomerScore | None
    extra: dict[str, Any] = field(default_factory=dict)


def customer_profile(
    *, user: User, customer_id: int, months: int = 36, today: dt.date | None = None
) -> CustomerProfile:
    """Everything about one customer within the user's scope (404 outside it), in a fixed
    number of queries whatever their history."""
    customer = customers.customer_get(user=user, customer_id=customer_id)
    today = today or dt.date.today()
    held = banking.holdings(customer=customer)
    starts = banking.aum_trend_months(customer=customer, months=months, today=today)
    interactions, tasks = timeline(customer=customer)
    return CustomerProfile(
        customer=customer,
        assignments=customers.rm_assignments(customer=customer),
        memberships=customers.group_memberships(customer=customer),
        consents=customers.customer_consents(customer=customer),
        accounts=held.accounts,
        aum=held.aum,
        deposits=held.deposits,
        investments=held.investments,
        liabilities=held.liabilities,
        aum_trend=banking.aum_trend(customer=customer, starts=starts),
        transactions=banking.recent_transactions(customer=customer),
        channel_mix=banking.channel_mix(
            customer=customer, since=starts[-12] if len(starts) >= 12 else starts[0]
        ),
        interactions=interactions,
        tasks=tasks,
        score=latest_score(customer_id=customer.pk),
    )


def customer_search(
    *, user: User, filters: CustomerFilters, cursor: str | None = None, size: int = 25
) -> Page:
    """A page of customers in scope matching the filters, those on scores included."""
    also = score_filter_q(filters) if filters.by_scores else None
    return customers.customer_list(user=user, filters=filters, cursor=cursor, size=size, also=also)


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _int(v: Any) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return int(v) if isinstance(v, str) and v.isdigit() else None


def _decimal(v: Any) -> Decimal | None:
    if isinstance(v, Decimal):
        return v
    if not isinstance(v, str) or not v:
        return None
    try:
        return Decimal(v.replace(",", ""))
    except InvalidOperation:
        return None


def _choice(v: Any, choices: Any, default: str = "") -> str:
    return v if isinstance(v, str) and v in choices else default


def customer_filters(params: Mapping[str, Any]) -> CustomerFilters:
    """The customer list's filters from a page's query string or the API's parsed query: one
    reading for both. Values that are not one of a filter's choices are ignored."""
    return CustomerFilters(
        q=_text(params.get("q"))[:100],
        branch=_int(params.get("branch")),
        rm=_int(params.get("rm")),
        status=_choice(params.get("status"), CustomerStatus.values),
        risk=_choice(params.get("risk"), RiskLevel.values),
        tier=_choice(params.get("tier"), WealthTier.values),
        aum_min=_decimal(params.get("aum_min")),
        aum_max=_decimal(params.get("aum_max")),
        segment=_choice(params.get("segment"), SEGMENTS),
        lifecycle=_choice(params.get("lifecycle"), STAGES),
        life_stage=_choice(params.get("life_stage"), LIFE_STAGES),
        churn=_choice(params.get("churn"), CHURN_BANDS),
        sort=_choice(params.get("sort"), customers.SORTS, "customer_no"),
    )


def customer_count(*, user: User, filters: CustomerFilters) -> int:
    """How many customers in scope match the filters (the list's result count)."""
    also = score_filter_q(filters) if filters.by_scores else None
    return customers.customer_search_queryset(user=user, filters=filters, also=also).count()


def customer_selection(
    *, user: User, filters: CustomerFilters, ids: list[int] | None, limit: int
) -> list[Customer]:
    """The customers a bulk action or an export acts on: the ``ids`` chosen, or every match of
    the filters, always within scope and in the list's order; at most ``limit``."""
    also = score_filter_q(filters) if filters.by_scores else None
    qs = customers.customer_search_queryset(user=user, filters=filters, also=also)
    if ids is not None:
        qs = customers.customers_visible_to(user).filter(pk__in=ids)
    order = customers.SORTS.get(filters.sort, customers.SORTS["customer_no"]).order_by
    return list(qs.select_related("branch", "rm").order_by(*order)[:limit])
