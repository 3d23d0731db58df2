"""Staff accounts kept inside the product: an administrator creates, deactivates, sets the role
and branch of, resets the password of and unlocks a member of staff; anyone changes their own
password. Every change is audited (the password itself never is)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from bankcrm.access.lockout import lockout_window, login_failures_clear, login_locked_until
from bankcrm.core.audit import audit_record, diff, snapshot
from bankcrm.core.models import AuditAction, LoginFailure, User
from bankcrm.core.permissions import require_role
from bankcrm.core.roles import CAN_MANAGE_STAFF, Role

# What an administrator sets on a staff account (the password goes through its own service).
STAFF_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "name_zh",
    "email",
    "role",
    "branch",
    "is_active",
]


def staff_list(*, actor: User, q: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    require_role(actor, CAN_MANAGE_STAFF)
    qs = User.objects.select_related("branch").order_by("username")
    if q.strip():
        qs = qs.filter(username__icontains=q.strip()) | qs.filter(name_zh__icontains=q.strip())
    if role in Role.values:
        qs = qs.filter(role=role)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs


def staff_locked(user: User) -> bool:
    return login_locked_until(username=user.username, ip=None) is not None


def staff_locked_names(users: list[User]) -> set[str]:
    """Which of ``users`` are locked out now, in one query (the list page's badge)."""
    names = [u.username.lower() for u in users]
    counts = (
        LoginFailure.objects.filter(username__in=names, at__gte=lockout_window())
        .values("username")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.BANKCRM_LOGIN_MAX_FAILURES)
    )
    return {row["username"] for row in counts}


def _guard_self(actor: User, user: User, data: dict[str, Any]) -> None:
    """An administrator cannot lock themselves out: no self-deactivation, no self-demotion."""
    if actor.pk != user.pk:
        return
    if data.get("is_active") is False or data.get("role", Role.ADMIN) != Role.ADMIN:
        raise ValidationError(_("You cannot deactivate your own account or change your role."))


@transaction.atomic
def staff_create(*, actor: User, data: dict[str, Any], password: str) -> User:
    require_role(actor, CAN_MANAGE_STAFF, _("Only administrators manage staff accounts."))
    user = User(**{k: v for k, v in data.items() if k in STAFF_FIELDS})
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=user,
        changes=diff({}, snapshot(user, STAFF_FIELDS)),
        purpose="staff administration",
    )
    return user


@transaction.atomic
def staff_update(*, actor: User, user: User, data: dict[str, Any]) -> User:
    require_role(actor, CAN_MANAGE_STAFF, _("Only administrators manage staff accounts."))
    _guard_self(actor, user, data)
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(locked, STAFF_FIELDS)
    for name, value in data.items():
        if name in STAFF_FIELDS:
            setattr(locked, name, value)
    locked.full_clean(exclude=["password"])
    locked.save()
    changes = diff(before, snapshot(locked, STAFF_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=changes,
            purpose="staff administration",
        )
    return locked


@transaction.atomic
def staff_password_set(*, actor: User, user: User, password: str) -> None:
    """Set ``user``'s password: an administrator's reset, or the user's own change. Their
    other sessions end (Django checks each session against the password hash)."""
    if actor.pk != user.pk:
        require_role(actor, CAN_MANAGE_STAFF, _("Only administrators manage staff accounts."))
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=user,
        changes={"password": "changed" if actor.pk == user.pk else "reset"},
        purpose="password change" if actor.pk == user.pk else "staff administration",
    )


@transaction.atomic
def staff_unlock(*, actor: User, user: User) -> None:
    """Forget the failed log-ins that lock ``user`` out (the trail keeps them)."""
    require_role(actor, CAN_MANAGE_STAFF, _("Only administrators manage staff accounts."))
    login_failures_clear(username=user.username)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=user,
        changes={"locked": [True, False]},
        purpose="staff administration",
    )
