"""Issuing, revoking and checking API tokens."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from bankcrm.access.models import AUDIT_TYPE, ApiToken, hash_token
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, User


@transaction.atomic
def token_create(*, user: User, name: str, days: int | None = 90) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    raw, prefix, key_hash = ApiToken.generate()
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, key_hash=key_hash, expires_at=expires
    )
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        obj=token,
        object_type=AUDIT_TYPE,
        changes={"name": name, "prefix": prefix},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            obj=token,
            object_type=AUDIT_TYPE,
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token


def token_user(*, raw: str) -> User | None:
    """The active staff member a live (unrevoked, unexpired) token ``raw`` acts for, or None.

    The token's last use is noted, at most once a minute.
    """
    now = timezone.now()
    try:
        t = ApiToken.objects.select_related("user", "user__branch").get(
            key_hash=hash_token(raw), revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        return None
    if (t.expires_at and t.expires_at <= now) or not t.user.is_active:
        return None
    if t.last_used_at is None or (now - t.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=t.pk).update(last_used_at=now)
    return t.user
