"""The HTTP API under /api/v1: django-ninja, OpenAPI docs at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaValidationError

from bankcrm.api import analytics, customers, imports, jobs, kpis, loyalty, sales
from bankcrm.api.auth import api_auth
from bankcrm.profile import FilterError, IdentifierSearchThrottled

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
api.add_router("", jobs.router)
api.add_router("", sales.router)
api.add_router("", loyalty.router)


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


# The schema checker's messages for the common mistakes, in the user's language (Django's own
# catalogue has these sentences); any other keeps the checker's English text.
_SCHEMA_MESSAGES = {
    "missing": "This field is required.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "decimal_parsing": "Enter a number.",
    "date_parsing": "Enter a valid date.",
    "date_from_datetime_parsing": "Enter a valid date.",
    "datetime_parsing": "Enter a valid date/time.",
    "datetime_from_date_parsing": "Enter a valid date/time.",
    "bool_parsing": "“%(value)s” value must be either True or False.",
}


def _schema_message(error: dict[str, Any]) -> str:
    msgid = _SCHEMA_MESSAGES.get(str(error.get("type", "")))
    if msgid is None:
        return str(error.get("msg", ""))
    text = _(msgid)
    return text % {"value": error.get("input", "")} if "%(value)s" in msgid else text


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Send a valid API token: Authorization: Bearer <token>.")},
        status=401,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(SchemaValidationError)
def _schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """A parameter or body that does not fit the schema: 422, in the same shape as a 400."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # ("query", "limit") or ("body", "payload", "subject"): name the field as it was sent.
        loc = [str(p) for p in error.get("loc", ())][1:]
        if len(loc) > 1 and loc[0] == "payload":
            loc = loc[1:]
        errors.setdefault(".".join(loc) or "__all__", []).append(_schema_message(error))
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": errors}, status=422
    )


@api.exception_handler(FilterError)
def _bad_filter(request: HttpRequest, exc: FilterError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("The request is not valid."), "errors": {"__all__": [str(exc)]}},
        status=400,
    )


@api.exception_handler(IdentifierSearchThrottled)
def _throttled(request: HttpRequest, exc: IdentifierSearchThrottled) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "detail": _("Too many searches by mobile or ID number: try again in %(n)d seconds.")
            % {"n": exc.retry_after}
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or _("Your role may not do this.")}, status=403
    )


@api.exception_handler(sales.Duplicate)
def _duplicate_lead(request: HttpRequest, exc: sales.Duplicate) -> HttpResponse:
    return sales.duplicate_response(api, request, exc)
