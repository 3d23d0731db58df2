"""API authentication: a per-user bearer token (stored hashed) or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from bankcrm.access.services import token_user
from bankcrm.api.limits import TOKEN_USER


class TokenAuth(HttpBearer):
    """A bearer token; an invalid one is a 401 at once, never a fall-through to the session."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # The guard middleware has checked it already (before counting the request).
        user = getattr(request, TOKEN_USER, None) or token_user(raw=token)
        if user is None:
            raise AuthenticationError
        request.user = user
        return user


api_auth = [TokenAuth(), django_auth]
