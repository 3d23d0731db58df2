"""Log-ins, log-outs and failed log-ins go to the audit trail and the lock-out count."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from bankcrm.access.lockout import known_username, login_failure_record, login_failures_clear
from bankcrm.access.sessions import session_start
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction
from bankcrm.core.security import client_ip


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=AuditAction.LOGIN, obj=user)
    login_failures_clear(username=user.get_username())
    if request is not None and hasattr(request, "session"):
        session_start(request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT, obj=user)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    known = known_username(username)  # an unknown name may be a mistyped password: not kept
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="core.user",
        object_id=known,
        changes={"username": known, "known_user": bool(known)},
    )
    login_failure_record(username=username, ip=client_ip(request), known=known)
