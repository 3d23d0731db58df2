"""API request guards: authentication, per-user rate limits and Idempotency-Key replays on
POST, in that order."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.access.services import token_user
from bankcrm.core import ratelimit
from bankcrm.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY = 255
# POSTs whose response discloses personal data: never kept, each one answered (and audited)
# afresh. They create nothing a retry could duplicate.
NOT_KEPT = ("/reveal",)


# Where the middleware leaves the user of a checked bearer token, for the API's TokenAuth.
TOKEN_USER = "_bankcrm_token_user"


def _unauthenticated() -> HttpResponse:
    return JsonResponse(
        {"detail": _("Send a valid API token: Authorization: Bearer <token>.")}, status=401
    )


def authenticate(request: HttpRequest) -> tuple[str | None, HttpResponse | None]:
    """Who is calling, checked before anything is counted or replayed: ``("user:<id>", None)``
    for a live bearer token or a logged-in session, ``(None, None)`` for an anonymous request
    (the API answers it 401), ``(None, 401)`` for an Authorization header that is not a live
    bearer token — never a fall-through to the session that came with it."""
    auth = request.headers.get("Authorization")
    if auth is not None:
        scheme, _sep, raw = auth.strip().partition(" ")
        user = token_user(raw=raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
        if user is None:
            return None, _unauthenticated()
        setattr(request, TOKEN_USER, user)
        return f"user:{user.pk}", None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", None
    return None, None


class ApiGuardMiddleware:
    """For /api/ requests: authentication first, then a rate limit per user (whichever token
    or session they call with), then, for a POST with an Idempotency-Key, the first response
    replayed to every retry of the same request by the same user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        caller, refused = authenticate(request)
        if refused is not None:
            return refused
        if caller is not None:
            limited = self._rate_limited(caller)
            if limited is not None:
                return limited
        key = request.headers.get(HEADER)
        if (
            request.method != "POST"
            or key is None
            or caller is None
            or request.path.rstrip("/").endswith(NOT_KEPT)
        ):
            return self.get_response(request)
        return self._idempotent(request, caller, key.strip())

    def _rate_limited(self, caller: str) -> HttpResponse | None:
        limit, window = settings.BANKCRM_API_RATE_LIMIT, settings.BANKCRM_API_RATE_WINDOW
        retry = ratelimit.hit(f"api:{caller}", limit=limit, window=window)
        if retry is None:
            return None
        response = JsonResponse(
            {
                "detail": _(
                    "Too many requests: at most %(limit)d per %(window)d seconds for one "
                    "user. Try again in %(retry)d seconds."
                )
                % {"limit": limit, "window": window, "retry": retry}
            },
            status=429,
        )
        response["Retry-After"] = str(retry)
        return response

    def _idempotent(self, request: HttpRequest, caller: str, key: str) -> HttpResponse:
        if not key or len(key) > MAX_KEY:
            return JsonResponse(
                {"detail": _("The Idempotency-Key header must have 1 to 255 characters.")},
                status=400,
            )
        fingerprint = hashlib.sha256(
            b"\n".join([b"POST", request.get_full_path().encode(), request.body])
        ).hexdigest()
        # Kept for BANKCRM_IDEMPOTENCY_HOURS: older keys of this caller are removed, and a key
        # may be used afresh once its first use has expired.
        cutoff = timezone.now() - dt.timedelta(hours=settings.BANKCRM_IDEMPOTENCY_HOURS)
        IdempotencyKey.objects.filter(caller=caller, created_at__lt=cutoff).delete()
        stored = IdempotencyKey.objects.filter(caller=caller, key=key).first()
        if stored is not None:
            return self._replay(stored, fingerprint)
        try:
            # One transaction: the key, the request's own writes and the stored response land
            # together, so a crash leaves neither and the retry runs the request afresh. A
            # concurrent request with the same key waits on the unique key, then replays.
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    status=0,
                    content_type="",
                    body=b"",
                )
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "streaming", False):
                    raise _NotKept(response)
                IdempotencyKey.objects.filter(caller=caller, key=key).update(
                    status=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=response.content,
                )
                return response
        except _NotKept as not_kept:
            return not_kept.response
        except IntegrityError:
            stored = IdempotencyKey.objects.filter(caller=caller, key=key).first()
            if stored is None:
                raise
            return self._replay(stored, fingerprint)

    def _replay(self, stored: IdempotencyKey, fingerprint: str) -> HttpResponse:
        if stored.fingerprint != fingerprint:
            return JsonResponse(
                {
                    "detail": _(
                        "This Idempotency-Key was already used for a different request: "
                        "use a new key for a new request."
                    )
                },
                status=422,
            )
        response = HttpResponse(
            bytes(stored.body), status=stored.status, content_type=stored.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response


class _NotKept(Exception):
    """A server error is not stored: the transaction rolls back and a retry runs again."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response
