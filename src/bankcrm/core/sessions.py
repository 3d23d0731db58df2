"""Staff sessions as an administrator sees them: who is logged in, since when, from where."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, User
from bankcrm.core.security import SESSION_IP, SESSION_SEEN, SESSION_STARTED


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
