"""Log-in throttling and lock-out: failed log-ins counted per user name (password and
second-factor code apart) and per address, and the lock or delay they lead to (audited)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from bankcrm.core.audit import audit_record
from bankcrm.core.crypto import blind_index
from bankcrm.core.models import AuditAction, LoginFailure, User

# Wrong second-factor codes are counted under the user's key with this prefix: a correct
# password clears the password failures only, so "password, wrong codes, password again"
# cannot try codes without end.
CODE_PREFIX = "2fa:"


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


def _code_key(key: str) -> str:
    return (CODE_PREFIX + key)[:150]


def login_locked_until(*, username: str, ip: str | None) -> dt.datetime | None:
    """When log-ins for ``username`` (or from ``ip``) are allowed again; None if they are now."""
    return _locked_until(_failure_key(username, known_username(username)), ip)


def user_locked_until(*, username: str) -> dt.datetime | None:
    """When ``username`` may log in again after too many wrong passwords or codes."""
    return _user_locked_until(_failure_key(username, known_username(username)))


def _user_locked_until(key: str) -> dt.datetime | None:
    """The hard lock of one user: too many wrong passwords, or too many wrong codes."""
    since, limit = _window(), settings.BANKCRM_LOGIN_MAX_FAILURES
    lock = dt.timedelta(minutes=settings.BANKCRM_LOGIN_LOCK_MINUTES)
    for counted in (key, _code_key(key)):
        by_user = LoginFailure.objects.filter(username=counted, at__gte=since)
        ats = list(by_user.order_by("-at").values_list("at", flat=True)[:limit])
        if len(ats) >= limit:
            return ats[0] + lock
    return None


def address_delay(ip: str | None) -> dt.datetime | None:
    """The per-address rule: a growing delay, not a lock, so that one address's failures
    over other accounts do not shut out everyone behind it (a bank's proxy or NAT). From the
    ``BANKCRM_LOGIN_MAX_FAILURES_PER_IP``-th failure within the lock time, each further attempt
    from the address waits 2, 4, 8 … seconds after its last failure, at most
    ``BANKCRM_LOGIN_MAX_DELAY_SECONDS``. Returns when it may try again, None if now."""
    if not ip:
        return None
    limit = settings.BANKCRM_LOGIN_MAX_FAILURES_PER_IP
    by_ip = LoginFailure.objects.filter(ip_address=ip, at__gte=_window())
    cap = limit + 16  # 2**16 s is past any sensible maximum delay
    ats = list(by_ip.order_by("-at").values_list("at", flat=True)[:cap])
    if len(ats) < limit:
        return None
    seconds = min(2 ** (len(ats) - limit + 1), settings.BANKCRM_LOGIN_MAX_DELAY_SECONDS)
    until = ats[0] + dt.timedelta(seconds=seconds)
    return until if until > timezone.now() else None


def _locked_until(key: str, ip: str | None) -> dt.datetime | None:
    return _user_locked_until(key) or address_delay(ip)


def login_failure_record(
    *, username: str, ip: str | None, known: str | None = None, factor: str = "password"
) -> None:
    """Count a failed log-in (``factor``: "password" or "totp", counted apart); the one that
    reaches the user's limit locks the account (audited). ``known``: :func:`known_username`
    of it, when the caller has it already."""
    if known is None:
        known = known_username(username)
    key = _failure_key(username, known)
    LoginFailure.objects.create(username=_code_key(key) if factor == "totp" else key, ip_address=ip)
    until = _user_locked_until(key)
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
    """A correct password clears the password failures, never the code failures."""
    LoginFailure.objects.filter(username=_failure_key(username, known_username(username))).delete()


def code_failures_clear(*, username: str) -> None:
    """A correct second factor clears the wrong codes."""
    key = _failure_key(username, known_username(username))
    LoginFailure.objects.filter(username=_code_key(key)).delete()
