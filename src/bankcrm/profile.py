"""The customer read model: one customer as the 360 page and the 360 API show them, and the
customer search with its filters on stored scores. It sits above the domain apps and the
scores; pages and the API call it, never the domains' pieces one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from bankcrm.banking import selectors as banking
from bankcrm.banking.models import Account, Transaction
from bankcrm.core import ratelimit
from bankcrm.core.audit import AuditAction, audit_record
from bankcrm.core.crypto import blind_index
from bankcrm.core.models import User
from bankcrm.core.pagination import Page
from bankcrm.core.pii import role_view
from bankcrm.core.roles import CAN_REVEAL_PII, has_role
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
from bankcrm.loyalty.selectors import LoyaltySummary, loyalty_summary


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
    loyalty: LoyaltySummary | None = None
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
    # Fields the role sees coarsened (core.pii.ROLE_COARSENED): pages and the API read these.
    role = getattr(user, "role", "")
    for obj in [customer, *interactions, *tasks]:
        role_view(obj, role)
    return CustomerProfile(
        customer=customer,
        assignments=customers.rm_assignments(customer=customer),
        memberships=customers.group_memberships(customer=customer, user=user),
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
        loyalty=loyalty_summary(customer=customer),
    )


class IdentifierSearchRefused(PermissionDenied):
    """A search by a whole identifier, or by more of an ID than its last 4 characters, from a
    role that may not reveal identifiers. Raised before the database is asked, so the answer is
    the same whether or not such a customer exists."""


class IdentifierSearchThrottled(Exception):
    """Too many identifier searches by one user within the window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def identifier_search_guard(*, user: User, q: str) -> str:
    """The search rule for identifiers, in one place (pages and API both pass here): every
    search by any part of an identifier counts against the user's limit
    (``BANKCRM_ID_SEARCH_LIMIT`` per ``BANKCRM_ID_SEARCH_WINDOW`` seconds); one that finds a
    customer by more than their mask shows (`REVEALING_SEARCHES`) needs a role that may reveal.
    Returns the query's kind."""
    kind, _value = customers.search_term(q)
    if kind not in customers.IDENTIFIER_SEARCHES:
        return kind
    retry = ratelimit.hit(
        f"id-search:{user.pk}",
        limit=settings.BANKCRM_ID_SEARCH_LIMIT,
        window=settings.BANKCRM_ID_SEARCH_WINDOW,
    )
    if retry is not None:
        raise IdentifierSearchThrottled(retry)
    if kind in customers.REVEALING_SEARCHES and not has_role(user, CAN_REVEAL_PII):
        raise IdentifierSearchRefused(
            _(
                "Searching by a whole mobile or ID number, or by more of an ID than its last 4 "
                "characters, needs a role that may reveal identifiers."
            )
        )
    return kind


def _audit_identifier_search(*, user: User, q: str, kind: str, page: Page, reason: str) -> None:
    """A revealing search is recorded like a reveal: who, what by its keyed hash (under its own
    purpose, so it cannot be matched against the stored hashes), why, and each customer found."""
    _kind, value = customers.search_term(q)
    changes = {"search": kind, "hash": blind_index(value, f"search:{kind}")}
    purpose = reason.strip() or "identifier search"
    found = [c.pk for c in page.items] or [None]
    for customer_id in found:
        audit_record(
            actor=user,
            action=AuditAction.REVEAL,
            object_type="customers.customer",
            object_id=str(customer_id or ""),
            customer_id=customer_id,
            changes=changes,
            purpose=purpose,
        )


def customer_search(
    *,
    user: User,
    filters: CustomerFilters,
    cursor: str | None = None,
    size: int = 25,
    reason: str = "",
) -> Page:
    """A page of customers in scope matching the filters, those on scores included. A search
    by an identifier passes `identifier_search_guard` first (it may raise
    `IdentifierSearchRefused` or `IdentifierSearchThrottled`) and a revealing one is audited."""
    kind = identifier_search_guard(user=user, q=filters.q) if filters.q.strip() else ""
    also = score_filter_q(filters) if filters.by_scores else None
    page = customers.customer_list(user=user, filters=filters, cursor=cursor, size=size, also=also)
    if kind in customers.REVEALING_SEARCHES:
        _audit_identifier_search(user=user, q=filters.q, kind=kind, page=page, reason=reason)
    return page


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ""


# Ids are 64-bit; AUM has 16 digits before the point. Past them a value is no filter: refused
# (400) rather than sent to the database, which cannot compare it.
DB_INT_MAX = 2**63 - 1
AUM_LIMIT = Decimal(10**16)


class FilterError(ValueError):
    """A filter value that cannot be a filter (an id past 64 bits, NaN, an AUM out of range)."""


def _int(v: Any, name: str = "") -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        n: int | None = v
    else:
        n = int(v) if isinstance(v, str) and v.isascii() and v.isdigit() else None
    if n is not None and not -DB_INT_MAX - 1 <= n <= DB_INT_MAX:
        raise FilterError(_("%(name)s: not a valid id.") % {"name": name})
    return n


def _decimal(v: Any, name: str = "") -> Decimal | None:
    if isinstance(v, Decimal):
        d = v
    elif not isinstance(v, str) or not v:
        return None
    else:
        try:
            d = Decimal(v.replace(",", ""))
        except InvalidOperation:
            return None
    if not d.is_finite() or not -AUM_LIMIT < d < AUM_LIMIT:
        raise FilterError(_("%(name)s: enter an amount under 10^16.") % {"name": name})
    return d


def _choice(v: Any, choices: Any, default: str = "") -> str:
    return v if isinstance(v, str) and v in choices else default


def customer_filters(params: Mapping[str, Any]) -> CustomerFilters:
    """The customer list's filters from a page's query string or the API's parsed query: one
    reading for both. Values that are not one of a filter's choices are ignored; an id or an
    amount the database cannot compare raises `FilterError` (a 400)."""
    return CustomerFilters(
        q=_text(params.get("q"))[:100],
        branch=_int(params.get("branch"), "branch"),
        rm=_int(params.get("rm"), "rm"),
        status=_choice(params.get("status"), CustomerStatus.values),
        risk=_choice(params.get("risk"), RiskLevel.values),
        tier=_choice(params.get("tier"), WealthTier.values),
        aum_min=_decimal(params.get("aum_min"), "aum_min"),
        aum_max=_decimal(params.get("aum_max"), "aum_max"),
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
