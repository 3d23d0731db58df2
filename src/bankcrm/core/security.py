"""Log-in throttling and lock-out, session time limits and security headers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from bankcrm.core.audit import audit_record
from bankcrm.core.crypto import blind_index
from bankcrm.core.models import AuditAction, LoginFailure, User

SESSION_STARTED = "_bankcrm_started"
SESSION_SEEN = "_bankcrm_seen"
SESSION_IP = "_bankcrm_ip"


def client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


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


class LockingAuthenticationForm(AuthenticationForm):
    """Django's log-in form, refusing to even try a password while the account is locked."""

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        until = login_locked_until(username=username, ip=client_ip(self.request))
        if until is not None:
            raise ValidationError(
                _(
                    "Too many failed log-ins: log-in is locked until %(time)s. "
                    "Ask an administrator if you need access sooner."
                )
                % {"time": timezone.localtime(until).strftime("%H:%M")},
                code="locked",
            )
        return super().clean()


def session_start(request: HttpRequest) -> None:
    """A new log-in: the clocks start again and the second factor is asked again."""
    now = time.time()
    request.session.pop("_bankcrm_2fa", None)
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now
    request.session[SESSION_IP] = client_ip(request) or ""


class SessionLimitsMiddleware:
    """Ends a session after BANKCRM_SESSION_IDLE_SECONDS without a request, and
    BANKCRM_SESSION_MAX_SECONDS after log-in, whatever the activity."""

    TOUCH_EVERY = 60  # seconds: the session is re-saved at most this often

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            started = float(request.session.get(SESSION_STARTED, now))
            seen = float(request.session.get(SESSION_SEEN, now))
            reason = ""
            if now - seen > settings.BANKCRM_SESSION_IDLE_SECONDS:
                reason = _("You were away too long: log in again.")
            elif now - started > settings.BANKCRM_SESSION_MAX_SECONDS:
                reason = _("Your session reached its time limit: log in again.")
            if reason:
                return self._expire(request, reason)
            if SESSION_STARTED not in request.session:
                request.session[SESSION_STARTED] = started
            if now - seen > self.TOUCH_EVERY or SESSION_SEEN not in request.session:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)

    def _expire(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        if request.path.startswith("/api/"):
            return HttpResponse(status=401)
        messages.warning(request, reason)
        login = reverse(settings.LOGIN_URL)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = login
            return response
        return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")


class SecurityHeadersMiddleware:
    """A Content-Security-Policy without inline scripts, and the other headers Django lacks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.BANKCRM_CSP

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Customer data must not stay in shared caches or the browser's back button history.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
