"""Global search: what the top bar's search box finds, from every app that offers hits.

Each source takes the user and the query and returns a few hits within the user's scope.
Customers come first; an app that adds tickets, campaigns or opportunities appends its own
source to ``SOURCES`` and the top bar shows its hits under its heading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bankcrm.core.models import User
from bankcrm.customers.selectors import CustomerFilters
from bankcrm.profile import customer_search
from bankcrm.sales import search_views as sales_search


@dataclass(frozen=True)
class Hit:
    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class Source:
    heading: str | Promise
    find: Callable[[User, str, int], list[Hit]]
    more_url: Callable[[str], str] | None = None  # the full list of this kind for the query


def _customers(user: User, q: str, limit: int) -> list[Hit]:
    page = customer_search(user=user, filters=CustomerFilters(q=q), size=limit)
    return [
        Hit(
            label=c.name_zh or c.name_en,
            detail=f"{c.customer_no} · {c.branch.display_name}",
            url=c.get_absolute_url(),
        )
        for c in page.items
    ]


def _customer_list(q: str) -> str:
    return f"{reverse('customers:list')}?{urlencode({'q': q})}"


SOURCES: list[Source] = [Source(_("Customers"), _customers, _customer_list)]
SOURCES += [
    Source(
        _("Leads"),
        lambda u, q, n: [Hit(*h) for h in sales_search.lead_hits(u, q, n)],
        sales_search.lead_list_url,
    ),
    Source(
        _("Opportunities"),
        lambda u, q, n: [Hit(*h) for h in sales_search.opportunity_hits(u, q, n)],
        sales_search.opportunity_list_url,
    ),
]


@dataclass(frozen=True)
class Group:
    heading: str | Promise
    hits: list[Hit]
    more_url: str


def global_search(*, user: User, q: str, limit: int = 6) -> list[Group]:
    """Each source's hits for ``q`` (sources without any left out)."""
    q = q.strip()[:100]
    if len(q) < 2:
        return []
    groups = []
    for source in SOURCES:
        hits = source.find(user, q, limit)
        if hits:
            more = source.more_url(q) if source.more_url else ""
            groups.append(Group(source.heading, hits, more))
    return groups
