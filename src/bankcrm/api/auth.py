"""API authentication: a per-user bearer token (stored hashed) or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from bankcrm.api.models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        try:
            t = ApiToken.objects.select_related("user", "user__branch").get(
                key_hash=hash_token(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            return None
        if (t.expires_at and t.expires_at <= now) or not t.user.is_active:
            return None
        if t.last_used_at is None or (now - t.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=t.pk).update(last_used_at=now)
        request.user = t.user
        return t.user


api_auth = [TokenAuth(), django_auth]
