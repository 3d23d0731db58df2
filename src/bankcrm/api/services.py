"""Issuing and revoking API tokens."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from bankcrm.api.models import ApiToken
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
        actor=user, action=AuditAction.CREATE, obj=token, changes={"name": name, "prefix": prefix}
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
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token
