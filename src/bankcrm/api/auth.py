"""API authentication: a per-user bearer token (stored hashed) or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from bankcrm.access.services import token_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(raw=token)
        if user is None:
            return None
        request.user = user
        return user


api_auth = [TokenAuth(), django_auth]
