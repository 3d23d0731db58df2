"""Row-level scope and role checks, written once: every app filters and guards through these."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from bankcrm.core.roles import CUSTOMER_SCOPE, Scope, has_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from bankcrm.core.models import User

M = TypeVar("M", bound=Model)
F = TypeVar("F", bound=Callable[..., Any])

# A filter no row passes: the database is not asked (Django answers an empty result).
NOTHING = Q(pk__in=[])


class AuthenticatedRequest(HttpRequest):
    """A request behind a log-in (a page under `role_required`/`login_required`, or the API)."""

    user: User


def user_scope(user: User | AnonymousUser | None) -> Scope | None:
    """The user's row-level scope; None (sees nothing) for the anonymous and unknown roles."""
    if user is None or not user.is_authenticated:
        return None
    return CUSTOMER_SCOPE.get(getattr(user, "role", ""))


def branch_ids_under(branch_id: int) -> list[int]:
    """The branch and all branches below it in the hierarchy."""
    from bankcrm.core.models import Branch

    children: dict[int | None, list[int]] = {}
    for bid, parent in Branch.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(bid)
    out, stack = [], [branch_id]
    while stack:
        bid = stack.pop()
        out.append(bid)
        stack.extend(children.get(bid, []))
    return out


def scope_q(user: User | AnonymousUser | None, *, rm: str = "rm", branch: str = "branch") -> Q:
    """The rows of any model with an RM and a branch (given as lookup paths, e.g.
    ``rm="customer__rm"``) that ``user`` may read: an RM their own, a branch manager their
    branch and the branches below it, the bank-wide roles all; deny by default."""
    scope = user_scope(user)
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.OWN:
        return Q(**{rm: getattr(user, "pk", None)})
    home: int | None = getattr(user, "branch_id", None)
    if scope == Scope.BRANCH and home:
        return Q(**{f"{branch}__in": branch_ids_under(home)})
    return NOTHING


def scoped(
    qs: QuerySet[M], user: User | AnonymousUser | None, *, rm: str = "rm", branch: str = "branch"
) -> QuerySet[M]:
    """``qs`` narrowed to the rows within ``user``'s scope (see `scope_q`)."""
    q = scope_q(user, rm=rm, branch=branch)
    if q is NOTHING:
        return qs.none()
    return qs.filter(q) if q else qs


def require_role(
    user: User | AnonymousUser | None, roles: frozenset[str], message: str | None = None
) -> None:
    """Raise PermissionDenied (403 in pages and API) unless ``user`` holds one of ``roles``."""
    if not has_role(user, roles):
        raise PermissionDenied(message) if message else PermissionDenied


def role_required(roles: frozenset[str], *, message: str | None = None) -> Callable[[F], F]:
    """Guard a page view: one of ``roles`` or 403. Put it under ``login_required`` and the
    method decorators, so an anonymous visit goes to the log-in and a wrong method answers
    405 before any role is asked."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            require_role(request.user, roles, message)
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
