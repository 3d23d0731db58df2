"""Staff sessions: their clocks (idle and absolute time limits), and the list an administrator
sees (who is logged in, since when, from where) and ends sessions from."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from bankcrm.access.two_factor import SESSION_VERIFIED
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, User
from bankcrm.core.security import client_ip

SESSION_STARTED = "_bankcrm_started"
SESSION_SEEN = "_bankcrm_seen"
SESSION_IP = "_bankcrm_ip"


def session_start(request: HttpRequest) -> None:
    """A new log-in: the clocks start again and the second factor is asked again."""
    now = time.time()
    request.session.pop(SESSION_VERIFIED, None)
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


@dataclass
class StaffSession:
    ref: str  # a hash of the session key: the key itself never leaves the server
    user: User
    started: dt.datetime | None
    seen: dt.datetime | None
    ip: str
    expires: dt.datetime


def _ref(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(float(value), tz=dt.UTC) if value else None


def session_list() -> list[StaffSession]:
    """Every unexpired session with a logged-in user, most recently active first."""
    rows = []
    for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = s.get_decoded()
        user_id = data.get("_auth_user_id")
        if user_id is None:
            continue
        rows.append((s, data, int(user_id)))
    users = User.objects.select_related("branch").in_bulk([u for _s, _d, u in rows])
    out = [
        StaffSession(
            ref=_ref(s.session_key),
            user=users[user_id],
            started=_moment(data.get(SESSION_STARTED)),
            seen=_moment(data.get(SESSION_SEEN)),
            ip=str(data.get(SESSION_IP, "")),
            expires=s.expire_date,
        )
        for s, data, user_id in rows
        if user_id in users
    ]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(out, key=lambda x: x.seen or epoch, reverse=True)


@transaction.atomic
def session_end(*, actor: User, ref: str) -> bool:
    """End the session ``ref`` names (its user must log in again); audited."""
    for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if _ref(s.session_key) != ref:
            continue
        user_id = s.get_decoded().get("_auth_user_id")
        s.delete()
        audit_record(
            actor=actor,
            action=AuditAction.LOGOUT,
            object_type="core.user",
            object_id=str(user_id or ""),
            purpose="session ended by an administrator",
        )
        return True
    return False
