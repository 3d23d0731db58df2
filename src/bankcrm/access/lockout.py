"""Log-in throttling and lock-out: failed log-ins (and wrong second-factor codes) counted per
user name and per address, and the lock they lead to (audited)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from bankcrm.core.audit import audit_record
from bankcrm.core.crypto import blind_index
from bankcrm.core.models import AuditAction, LoginFailure, User


def lockout_window() -> dt.datetime:
    """Failed log-ins from this moment on count towards a lock."""
    return _window()


def _window() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.BANKCRM_LOGIN_LOCK_MINUTES)


def known_username(username: str) -> str:
    """``username`` when it names a user ('' otherwise): what the trail may keep of a failed
    log-in. A name that is no one's may be a password typed into the wrong box."""
    user = User.objects.filter(username__iexact=username[:150]).only("username").first()
    return user.username if user is not None else ""


def _failure_key(username: str, known: str) -> str:
    """How a failed log-in is counted: a user's name, or a keyed hash of an unknown one (its
    attempts are throttled all the same, and the typed text is not kept)."""
    if known:
        return known.lower()
    return "#" + blind_index(username.strip().lower(), "login")[:40]


def login_locked_until(*, username: str, ip: str | None) -> dt.datetime | None:
    """When log-ins for ``username`` (or from ``ip``) are allowed again; None if they are now."""
    return _locked_until(_failure_key(username, known_username(username)), ip)


def _locked_until(key: str, ip: str | None) -> dt.datetime | None:
    since = _window()
    lock = dt.timedelta(minutes=settings.BANKCRM_LOGIN_LOCK_MINUTES)
    by_user = LoginFailure.objects.filter(username=key, at__gte=since)
    ats = list(
        by_user.order_by("-at").values_list("at", flat=True)[: settings.BANKCRM_LOGIN_MAX_FAILURES]
    )
    if len(ats) >= settings.BANKCRM_LOGIN_MAX_FAILURES:
        return ats[0] + lock
    if ip:
        by_ip = LoginFailure.objects.filter(ip_address=ip, at__gte=since)
        limit = settings.BANKCRM_LOGIN_MAX_FAILURES_PER_IP
        ats = list(by_ip.order_by("-at").values_list("at", flat=True)[:limit])
        if len(ats) >= limit:
            return ats[0] + lock
    return None


def login_failure_record(*, username: str, ip: str | None, known: str | None = None) -> None:
    """Count a failed log-in; the one that reaches the limit locks the account (audited).
    ``known``: :func:`known_username` of it, when the caller has it already."""
    if known is None:
        known = known_username(username)
    key = _failure_key(username, known)
    LoginFailure.objects.create(username=key, ip_address=ip)
    until = _locked_until(key, ip)
    if until is not None:
        audit_record(
            actor=None,
            action=AuditAction.LOCKED_OUT,
            object_type="core.user",
            object_id=known,
            changes={"username": known, "known_user": bool(known), "until": until.isoformat()},
            purpose="log-in throttling",
        )


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=_failure_key(username, known_username(username))).delete()
