"""The HTTP API under /api/v1: django-ninja, OpenAPI docs at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaValidationError

from bankcrm.api import analytics, customers, imports, kpis
from bankcrm.api.auth import api_auth

api = NinjaAPI(
    title="Bank CRM API",
    version="1",
    auth=api_auth,
    urls_namespace="api",
    docs_decorator=login_required,
    description="Customers, 360 views and KPIs, with the same row-level scope and masking "
    "as the pages. Authenticate with `Authorization: Bearer <token>`.",
)
api.add_router("", customers.router)
api.add_router("", kpis.router)
api.add_router("", analytics.router)
api.add_router("", imports.router)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, Any] = (
        {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else {"__all__": [str(m) for m in exc.messages]}
    )
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": errors}, status=400
    )


@api.exception_handler(SchemaValidationError)
def _schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """A parameter or body that does not fit the schema: 422, in the same shape as a 400."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # ("query", "limit") or ("body", "payload", "subject"): name the field as it was sent.
        loc = [str(p) for p in error.get("loc", ())][1:]
        if len(loc) > 1 and loc[0] == "payload":
            loc = loc[1:]
        errors.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", "")))
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": errors}, status=422
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or _("Your role may not do this.")}, status=403
    )
