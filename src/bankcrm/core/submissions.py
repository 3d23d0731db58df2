"""Once-only form submissions: a page form carries a token, and a second submission of the
same token (a double click, a resent request) records nothing.

The token is claimed in the same transaction as the write it guards, on the table the API's
idempotency keys use, so two submissions racing each other wait on the unique key and only
the first one's write commits.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from bankcrm.core.models import IdempotencyKey, User

FIELD = "submission"


def submission_token() -> str:
    """A fresh token for a form about to be shown."""
    return secrets.token_urlsafe(16)


def submission_claim(*, user: User, token: str) -> bool:
    """True the first time ``user`` submits ``token`` (call inside the write's transaction);
    False for a repeat. A missing or malformed token is not guarded: True."""
    if not token or len(token) > 64:
        return True
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                caller=f"user:{user.pk}",
                key=f"form:{token}",
                fingerprint="form",
                status=200,
                content_type="",
                body=b"",
            )
    except IntegrityError:
        return False
    return True
