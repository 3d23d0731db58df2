"""The client's address, and the security headers every response carries."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _trusted(address: str, proxies: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in proxies)


@functools.lru_cache(maxsize=8)
def _networks(text: str) -> list[Any]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()]


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or, when that is one of ``BANKCRM_TRUSTED_PROXIES``
    (addresses or networks), the nearest address in ``X-Forwarded-For`` that is not a trusted
    proxy (the ones before it could be written by the client)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR")
    proxies = _networks(settings.BANKCRM_TRUSTED_PROXIES)
    if not remote or not proxies or not _trusted(remote, proxies):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _trusted(address, proxies):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # not an address: keep the proxy's, never the text
    return remote


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
