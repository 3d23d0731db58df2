"""Reads of customer data. Every read starts from `customers_visible_to(user)`: row-level scope."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from bankcrm.core.crypto import blind_index
from bankcrm.core.models import Branch, User
from bankcrm.core.pagination import Page, SortKey, keyset_page
from bankcrm.core.permissions import branch_ids_under, scoped, user_scope
from bankcrm.core.roles import Scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

from bankcrm.customers.models import (
    TIER_THRESHOLDS,
    ConsentEvent,
    ConsentPurpose,
    ContactChannel,
    Customer,
    CustomerAlias,
    GroupMembership,
    RmAssignment,
)


def customers_visible_to(user: User | AnonymousUser | None) -> QuerySet[Customer]:
    """All customers `user` may read; deny by default for unknown roles."""
    return scoped(Customer.objects.all(), user)


def branches_visible_to(user: User) -> QuerySet[Branch]:
    """The branches a user's customers can be in: what a branch filter may offer them."""
    if user_scope(user) == Scope.OWN:
        return Branch.objects.filter(pk__in=customers_visible_to(user).values("branch_id"))
    return scoped(Branch.objects.all(), user, rm="pk", branch="pk")


def branches_assignable_by(user: User) -> QuerySet[Branch]:
    """The branches ``user`` may put a customer in: a bank-wide role any, a branch manager
    their branch and those below it, an RM their own branch and those below it (where their
    manager sees the customer)."""
    scope = user_scope(user)
    if scope == Scope.ALL:
        return Branch.objects.all()
    home = getattr(user, "branch_id", None)
    if scope in (Scope.BRANCH, Scope.OWN) and home:
        return Branch.objects.filter(pk__in=branch_ids_under(home))
    return Branch.objects.none()


def customer_get(*, user: User, customer_id: int) -> Customer:
    """One customer within scope, or 404 — never 403, so existence does not leak."""
    try:
        return customers_visible_to(user).select_related("branch", "rm").get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such customer") from None


def customer_by_number(*, user: User, number: str) -> Customer | None:
    """The customer in scope known by ``number``: their customer number, or one they had
    before a merge (an alias); None when no one in scope is."""
    number = number.strip().upper()
    if not number:
        return None
    visible = customers_visible_to(user)
    found = visible.filter(customer_no=number).first()
    if found is None:
        found = visible.filter(aliases__customer_no=number).first()
    return found


@dataclass
class EntryDuplicates:
    """Existing customers that share a resident ID or mobile with what is being entered."""

    in_scope: list[tuple[Customer, list[str]]]  # the customer and the fields that match
    elsewhere: int  # matches outside the user's scope: counted, not named


def entry_duplicates(
    *, user: User, id_number: str, mobile: str, exclude: int | None = None
) -> EntryDuplicates:
    """Who already has this ID number or mobile, found through the keyed hashes (the values
    are stored encrypted), so the person entering a customer can open the existing one."""
    hashes = {
        "id_number": blind_index(id_number, "id_number") if id_number else "",
        "mobile": blind_index(mobile, "mobile") if mobile else "",
    }
    q = Q()
    if hashes["id_number"]:
        q |= Q(id_number_hash=hashes["id_number"])
    if hashes["mobile"]:
        q |= Q(mobile_hash=hashes["mobile"])
    if not q:
        return EntryDuplicates([], 0)
    candidates = Customer.objects.filter(q)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    found = list(candidates.order_by("customer_no")[:20])
    visible = set(
        customers_visible_to(user).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True)
    )
    in_scope: list[tuple[Customer, list[str]]] = []
    elsewhere = 0
    for c in found:
        if c.pk not in visible:
            elsewhere += 1
            continue
        fields = [
            f for f in ("id_number", "mobile") if hashes[f] and getattr(c, f"{f}_hash") == hashes[f]
        ]
        in_scope.append((c, fields))
    return EntryDuplicates(in_scope, elsewhere)


SORTS: dict[str, SortKey] = {
    "customer_no": SortKey("customer_no"),
    "name": SortKey("name_zh"),
    "-aum": SortKey("aum", descending=True),
    "aum": SortKey("aum"),
    "-onboarded_on": SortKey("onboarded_on", descending=True),
    # Every column of the customer list sorts, either way (core.lists).
    "-customer_no": SortKey("customer_no", descending=True),
    "-name": SortKey("name_zh", descending=True),
    "onboarded_on": SortKey("onboarded_on"),
    "branch": SortKey("branch_id"),
    "-branch": SortKey("branch_id", descending=True),
    "rm": SortKey("rm_id"),
    "-rm": SortKey("rm_id", descending=True),
    "status": SortKey("status"),
    "-status": SortKey("status", descending=True),
    "risk": SortKey("risk_appetite"),
    "-risk": SortKey("risk_appetite", descending=True),
}


@dataclass
class CustomerFilters:
    q: str = ""
    branch: int | None = None
    rm: int | None = None
    status: str = ""
    risk: str = ""
    tier: str = ""
    aum_min: Decimal | None = None
    aum_max: Decimal | None = None
    # From the newest analytics run:
    segment: str = ""  # RFM segment
    lifecycle: str = ""
    life_stage: str = ""
    churn: str = ""  # churn band: high, elevated, low
    sort: str = "customer_no"

    @property
    def by_scores(self) -> bool:
        return bool(self.segment or self.lifecycle or self.life_stage or self.churn)


_CUSTOMER_NO_RE = re.compile(r"^[A-Za-z]{1,3}\d+$")


def _ids_ending(base: QuerySet[Customer], tail: str) -> list[int]:
    """Customers of ``base`` whose ID number ends in ``tail``: the last 4 narrow them in the
    database (a handful per bank of millions), the rest is read from the decrypted numbers."""
    candidates = base.filter(id_last4=tail[-4:]).order_by("pk").values_list("pk", "id_number")
    return [pk for pk, number in candidates[:ENDING_CANDIDATES] if number.upper().endswith(tail)]


# At most this many customers share the last 4 characters of an ID number in a search.
ENDING_CANDIDATES = 5_000


def _number_prefix_q(prefix: str) -> Q:
    """Customer numbers starting with ``prefix`` ("C00002" → C0000201, C0000299 …), as a range
    the customer number's b-tree answers (no pattern index), the prefix checked within it."""
    letters, digits = re.fullmatch(r"([A-Z]*)(\d*)", prefix).groups()  # type: ignore[union-attr]
    if digits and set(digits) != {"9"}:
        upper = f"{letters}{int(digits) + 1:0{len(digits)}d}"
    else:
        upper = letters[:-1] + chr(ord(letters[-1]) + 1)
    return Q(customer_no__gte=prefix, customer_no__lt=upper, customer_no__startswith=prefix)


class SearchKind:
    """What a free-text query searches by. The identifier kinds are what the customer read
    model's search rule (``bankcrm.profile``) guards."""

    MOBILE = "mobile"  # a whole mobile number
    ID_NUMBER = "id_number"  # a whole resident ID
    ID_ENDING = "id_ending"  # more of an ID than its last 4 characters
    ID_LAST4 = "id_last4"  # the last 4 characters of an ID or a mobile, as masks show them
    CUSTOMER_NO = "customer_no"
    NAME = "name"


# Searches that find a customer by more of an identifier than its mask shows.
REVEALING_SEARCHES = frozenset({SearchKind.MOBILE, SearchKind.ID_NUMBER, SearchKind.ID_ENDING})
# Searches by any part of an identifier (rate-limited per user).
IDENTIFIER_SEARCHES = REVEALING_SEARCHES | {SearchKind.ID_LAST4}


def search_term(q: str) -> tuple[str, str]:
    """A free-text query's kind (`SearchKind`) and its normalised value."""
    q = q.strip()
    digits = re.sub(r"[\s\-]", "", q)
    if digits.startswith("+86"):
        digits = digits[3:]
    if re.fullmatch(r"1\d{10}", digits):
        return SearchKind.MOBILE, digits
    if _CUSTOMER_NO_RE.match(q):
        return SearchKind.CUSTOMER_NO, q.upper()
    if re.fullmatch(r"\d{3}[\dXx]", q):
        return SearchKind.ID_LAST4, q.upper()
    if re.fullmatch(r"\d{17}[\dXx]", q):  # a whole resident ID
        return SearchKind.ID_NUMBER, q.upper()
    if re.fullmatch(r"\d{5,16}[\dXx]", q):
        return SearchKind.ID_ENDING, q.upper()
    return SearchKind.NAME, q


def _search_q(q: str, base: QuerySet[Customer] | None = None) -> Q:
    """Interpret a free-text query: mobile, customer number, ID last digits or a name."""
    kind, value = search_term(q)
    if kind == SearchKind.MOBILE:
        return Q(mobile_hash=blind_index(value, "mobile"))
    if kind == SearchKind.CUSTOMER_NO:
        # A whole customer number, one it had before a merge, or the start of one.
        return (
            Q(customer_no=value)
            | Q(pk__in=CustomerAlias.objects.filter(customer_no=value).values("customer_id"))
            | _number_prefix_q(value)
        )
    if kind == SearchKind.ID_LAST4:
        # The last 4 of an ID number or, all digits, of a mobile: what every mask shows.
        if value.isdigit():
            return Q(id_last4=value) | Q(mobile_last4=value)
        return Q(id_last4=value)
    if kind == SearchKind.ID_NUMBER:
        return Q(id_number_hash=blind_index(value, "id_number"))
    if kind == SearchKind.ID_ENDING:
        return Q(pk__in=_ids_ending(Customer.objects.all() if base is None else base, value))
    q = value
    # A name: prefix match on short queries (indexed), any-part match from 3 characters
    # (trigram-indexed on PostgreSQL).
    if len(q) < 3:
        return Q(name_zh__startswith=q) | Q(name_en__istartswith=q)
    return Q(name_zh__icontains=q) | Q(name_en__icontains=q)


def customer_search_queryset(
    *, user: User, filters: CustomerFilters, also: Q | None = None
) -> QuerySet[Customer]:
    """Customers in scope matching the filters on customer fields, and ``also`` (the layer
    above passes the filters on stored scores, which this app does not own)."""
    qs = customers_visible_to(user)
    if also is not None:
        qs = qs.filter(also)
    if filters.q.strip():
        qs = qs.filter(_search_q(filters.q, qs))
    if filters.branch:
        qs = qs.filter(branch_id=filters.branch)
    if filters.rm:
        qs = qs.filter(rm_id=filters.rm)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk:
        qs = qs.filter(risk_appetite=filters.risk)
    if filters.tier:
        bounds = dict(TIER_THRESHOLDS)
        floors = sorted(bounds.values())
        floor = bounds.get(filters.tier)
        if floor is not None:
            qs = qs.filter(aum__gte=floor)
            higher = [f for f in floors if f > floor]
            if higher:
                qs = qs.filter(aum__lt=higher[0])
    if filters.aum_min is not None:
        qs = qs.filter(aum__gte=filters.aum_min)
    if filters.aum_max is not None:
        qs = qs.filter(aum__lte=filters.aum_max)
    return qs


def customer_list(
    *,
    user: User,
    filters: CustomerFilters,
    cursor: str | None = None,
    size: int = 25,
    also: Q | None = None,
) -> Page:
    qs = customer_search_queryset(user=user, filters=filters, also=also).select_related(
        "branch", "rm"
    )
    sort = SORTS.get(filters.sort, SORTS["customer_no"])
    if len(filters.q.strip()) > 1:
        # A search matches few rows: have the database find them through the search indexes
        # and sort them, rather than walk the sort column's index hoping to meet matches
        # soon (which reads the whole table when there are none). COALESCE(x, x) is the
        # same value as x, but no index provides its order. A single character (a surname)
        # matches many rows, so walking the sorted index finds a page of them at once.
        qs = qs.annotate(search_sort=Coalesce(F(sort.field), F(sort.field)))
        sort = SortKey("search_sort", descending=sort.descending)
    return keyset_page(qs, sort=sort, cursor=cursor, size=size)


@dataclass
class ConsentState:
    purpose: str
    channel: str
    granted: bool
    source: str
    recorded_at: dt.datetime | None


def consent_states(events: list[ConsentEvent]) -> list[ConsentState]:
    """Current consent per purpose × channel: the latest event wins; none means not granted."""
    latest: dict[tuple[str, str], ConsentEvent] = {}
    for e in sorted(events, key=lambda e: (e.recorded_at, e.pk or 0)):
        latest[(e.purpose, e.channel)] = e
    out = []
    for purpose in ConsentPurpose:
        for channel in ContactChannel:
            last = latest.get((purpose.value, channel.value))
            out.append(
                ConsentState(
                    purpose=purpose.value,
                    channel=channel.value,
                    granted=bool(last and last.granted),
                    source=last.source if last else "",
                    recorded_at=last.recorded_at if last else None,
                )
            )
    return out


def consent_granted(*, customer: Customer, purpose: str, channel: str) -> bool:
    e = (
        ConsentEvent.objects.filter(customer=customer, purpose=purpose, channel=channel)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return bool(e and e.granted)


def rm_assignments(*, customer: Customer, limit: int = 20) -> list[RmAssignment]:
    """The customer's RM assignments, newest first."""
    return list(
        RmAssignment.objects.filter(customer=customer).select_related("rm", "branch")[:limit]
    )


def group_memberships(*, customer: Customer, user: User) -> list[GroupMembership]:
    """The relationship groups the customer belongs to, each with its other members that are
    within ``user``'s scope (``group.members_in_scope``) and how many are not
    (``group.members_hidden``): a member outside the scope is counted, never named."""
    in_scope = scoped(
        GroupMembership.objects.select_related("customer").order_by("pk"),
        user,
        rm="customer__rm",
        branch="customer__branch",
    ).exclude(customer=customer)
    memberships: list[GroupMembership] = list(
        GroupMembership.objects.filter(customer=customer)
        .select_related("group")
        .annotate(group_size=Count("group__memberships"))
        .prefetch_related(Prefetch("group__memberships", in_scope, to_attr="members_in_scope"))
    )
    for m in memberships:
        others: int = getattr(m, "group_size", 1) - 1
        shown: list[GroupMembership] = getattr(m.group, "members_in_scope", [])
        m.group.members_hidden = others - len(shown)  # type: ignore[attr-defined]
    return memberships


def customer_consents(*, customer: Customer) -> list[ConsentState]:
    return consent_states(list(ConsentEvent.objects.filter(customer=customer)))


def staff_visible_to(user: User) -> QuerySet[User]:
    """Staff a user may pick in filters: RMs within their scope."""
    return scoped(User.objects.filter(is_active=True, role="rm"), user, rm="pk")
