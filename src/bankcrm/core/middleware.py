"""Puts the client address and channel of each request where the audit trail can read it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from bankcrm.core.audit import RequestContext, reset_request_context, set_request_context
from bankcrm.core.security import client_ip


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_request_context(RequestContext(ip_address=client_ip(request), channel=channel))
        try:
            return self.get_response(request)
        finally:
            reset_request_context(token)
