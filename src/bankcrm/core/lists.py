"""The list component every list page uses: a result count, a column chooser, sorting on
any sortable column and saved views (named filters, per user, shareable within the branch).

A page declares its list once (:class:`ListSpec`: columns, the filters a view keeps, the sort
keys its selector accepts), calls :func:`list_state` with the request and its count, and
renders ``web/_list_toolbar.html`` above and ``web/_list_head.html`` in its table; its row
template shows a cell when ``state.shows.<key>`` is true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.functional import Promise

from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, SavedView, User

# A search for digits (a mobile, an ID number's tail) is an identifier search: a saved view,
# which the branch may see, does not keep it.
_IDENTIFIER = re.compile(r"\d{4,}")
# Parameters that never belong in a view: paging, htmx, the view chooser itself.
_TRANSIENT = {"cursor", "view", "page"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    sort: str = ""  # the ascending sort key the list's selector accepts ("-" + it: descending)
    default: bool = True  # shown until the person chooses columns
    css: str = ""  # e.g. "num" or "hide-sm"


@dataclass(frozen=True)
class ListSpec:
    name: str  # saved views are kept per list name
    url_name: str
    columns: tuple[Column, ...]
    filters: tuple[str, ...]  # the query parameters a saved view keeps (besides cols, sort)
    default_sort: str

    def sorts(self) -> set[str]:
        return {s for c in self.columns if c.sort for s in (c.sort, "-" + c.sort)}


@dataclass
class ListState:
    spec: ListSpec
    columns: list[Column]  # the visible ones, in the declared order
    shows: dict[str, bool]
    sort: str
    count: int | None
    query: str  # the current query string without the cursor: for "more" links and views
    views: list[SavedView] = field(default_factory=list)
    user_id: int | None = None

    def header(self) -> list[tuple[Column, str, str]]:
        """(column, its sort link's query string or '', 'asc'/'desc'/'' when sorted by it)."""
        out = []
        for c in self.columns:
            if not c.sort:
                out.append((c, "", ""))
                continue
            now = "asc" if self.sort == c.sort else "desc" if self.sort == "-" + c.sort else ""
            q = QueryDict(self.query, mutable=True)
            q["sort"] = "-" + c.sort if now == "asc" else c.sort
            out.append((c, q.urlencode(), now))
        return out

    def choosable(self) -> list[tuple[Column, bool]]:
        return [(c, self.shows[c.key]) for c in self.spec.columns]

    def kept(self) -> list[tuple[str, str]]:
        """The query's parameters other than the columns: hidden inputs of the chooser."""
        q = QueryDict(self.query)
        return [(k, v) for k in q for v in q.getlist(k) if k != "cols"]


def list_state(*, spec: ListSpec, params: QueryDict, user: User, count: int | None) -> ListState:
    chosen = [k for k in params.getlist("cols") if any(c.key == k for c in spec.columns)]
    shows = {c.key: (c.key in chosen) if chosen else c.default for c in spec.columns}
    sort = params.get("sort", "")
    sort = sort if sort in spec.sorts() else spec.default_sort
    query = params.copy()
    for k in _TRANSIENT:
        query.pop(k, None)
    # An identifier search is not echoed into the page's links and forms (sort headers, the
    # view form): an identifier stays out of URLs and of what the page repeats.
    if _IDENTIFIER.search(query.get("q", "")):
        query.pop("q", None)
        query.pop("reason", None)
    return ListState(
        spec=spec,
        columns=[c for c in spec.columns if shows[c.key]],
        shows=shows,
        sort=sort,
        count=count,
        query=query.urlencode(),
        views=list(saved_views_for(user=user, list_name=spec.name)),
        user_id=user.pk,
    )


def saved_views_for(*, user: User, list_name: str) -> QuerySet[SavedView]:
    """The user's own views of a list and those shared within their branch."""
    shared = Q(is_shared=True, branch_id=user.branch_id) if user.branch_id else Q(pk__in=[])
    return (
        SavedView.objects.filter(Q(owner=user) | shared, list_name=list_name)
        .select_related("owner")
        .order_by("name", "id")
    )


def saved_view_get(*, user: User, pk: int) -> SavedView | None:
    view = SavedView.objects.filter(pk=pk).first()
    if view is None:
        return None
    if view.owner_id == user.pk or (view.is_shared and view.branch_id == user.branch_id):
        return view
    return None


def view_query(spec: ListSpec, params: QueryDict) -> tuple[str, bool]:
    """What a saved view keeps of ``params``: its filters, columns and sort; and whether an
    identifier search was left out."""
    kept = QueryDict(mutable=True)
    dropped = False
    for k in (*spec.filters, "cols", "sort"):
        for v in params.getlist(k):
            if not v:
                continue
            if k == "q" and _IDENTIFIER.search(v):
                dropped = True
                continue
            kept.appendlist(k, v)
    return kept.urlencode(), dropped


@transaction.atomic
def saved_view_create(
    *, actor: User, spec: ListSpec, name: str, params: QueryDict, shared: bool
) -> tuple[SavedView, bool]:
    query, dropped = view_query(spec, params)
    view = SavedView(
        owner=actor,
        list_name=spec.name,
        name=name.strip()[:80],
        query=query,
        is_shared=shared and actor.branch_id is not None,
        branch_id=actor.branch_id,
    )
    view.full_clean()
    view.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=view,
        changes={"list": spec.name, "name": view.name, "shared": view.is_shared},
    )
    return view, dropped


@transaction.atomic
def saved_view_delete(*, actor: User, view: SavedView) -> None:
    """Only the owner removes a view (a shared one disappears for the branch too)."""
    if view.owner_id != actor.pk:
        raise PermissionDenied
    audit_record(actor=actor, action=AuditAction.DELETE, obj=view, changes={"name": view.name})
    view.delete()


LISTS: dict[str, ListSpec] = {}


def register(spec: ListSpec) -> ListSpec:
    """Declare a list, so the saved-view pages know its filters (by ``spec.name``)."""
    LISTS[spec.name] = spec
    return spec


def spec_named(name: str) -> Any:
    return LISTS.get(name)
