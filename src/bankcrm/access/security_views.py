"""The administrator's security page: settings in force, staff sessions and every API token."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from bankcrm.access.models import ApiToken
from bankcrm.access.services import token_revoke
from bankcrm.access.sessions import session_end, session_list
from bankcrm.core.checks import DEVELOPMENT_SECRET_PREFIX
from bankcrm.core.models import TotpDevice
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_MANAGE_SECURITY, Role
from bankcrm.core.selectors import chain_last_check

# The password rules as the security page names them.
VALIDATORS: dict[str, Any] = {
    "UserAttributeSimilarityValidator": gettext_lazy("not like the user's name or e-mail"),
    "MinimumLengthValidator": gettext_lazy("a minimum length"),
    "CommonPasswordValidator": gettext_lazy("not a common password"),
    "NumericPasswordValidator": gettext_lazy("not only digits"),
    "CharacterClassesValidator": gettext_lazy("several kinds of characters"),
}


def _settings_summary() -> list[tuple[str, str, bool]]:
    """(what, value, as a bank would want it) for the settings a security review asks about."""
    s = settings
    roles = ", ".join(str(Role(r).label) for r in sorted(s.BANKCRM_2FA_REQUIRED_ROLES)) or "—"
    configured = cast(list[dict[str, Any]], s.AUTH_PASSWORD_VALIDATORS)
    validators = [
        str(VALIDATORS.get(name, name))
        for name in (str(v["NAME"]).rsplit(".", 1)[-1] for v in configured)
    ]
    min_length = next(
        (
            int(v.get("OPTIONS", {}).get("min_length", 8))
            for v in configured
            if str(v["NAME"]).endswith("MinimumLengthValidator")
        ),
        8,
    )
    return [
        (_("Debug mode"), _("on") if s.DEBUG else _("off"), not s.DEBUG),
        (
            _("Secret key"),
            _("development key")
            if s.SECRET_KEY.startswith(DEVELOPMENT_SECRET_PREFIX)
            else _("set"),
            not s.SECRET_KEY.startswith(DEVELOPMENT_SECRET_PREFIX),
        ),
        (
            _("Audit chain key"),
            _("set") if s.BANKCRM_AUDIT_KEY else _("derived from the secret key"),
            bool(s.BANKCRM_AUDIT_KEY),
        ),
        (
            _("TLS (secure cookies, HSTS)"),
            _("on") if getattr(s, "SECURE_SSL_REDIRECT", False) else _("off"),
            bool(getattr(s, "SECURE_SSL_REDIRECT", False)),
        ),
        (_("Two-factor log-in required for"), roles, bool(s.BANKCRM_2FA_REQUIRED_ROLES)),
        (
            _("Session limits"),
            _("%(idle)d minutes idle, %(max)d hours in all")
            % {
                "idle": s.BANKCRM_SESSION_IDLE_SECONDS // 60,
                "max": s.BANKCRM_SESSION_MAX_SECONDS // 3600,
            },
            s.BANKCRM_SESSION_IDLE_SECONDS <= 1800 and s.BANKCRM_SESSION_MAX_SECONDS <= 12 * 3600,
        ),
        (
            _("Log-in lock-out"),
            _("%(n)d failures per user or %(ip)d per address lock for %(m)d minutes")
            % {
                "n": s.BANKCRM_LOGIN_MAX_FAILURES,
                "ip": s.BANKCRM_LOGIN_MAX_FAILURES_PER_IP,
                "m": s.BANKCRM_LOGIN_LOCK_MINUTES,
            },
            s.BANKCRM_LOGIN_MAX_FAILURES <= 5,
        ),
        (
            _("Password policy"),
            _("at least %(n)s characters; %(rules)s")
            % {"n": min_length, "rules": ", ".join(validators)},
            min_length >= 10,
        ),
        (
            _("API rate limit"),
            _("%(n)d requests per %(w)d seconds per token")
            % {"n": s.BANKCRM_API_RATE_LIMIT, "w": s.BANKCRM_API_RATE_WINDOW},
            s.BANKCRM_API_RATE_LIMIT > 0,
        ),
        (
            _("Content-Security-Policy"),
            s.BANKCRM_CSP,
            "'unsafe-inline'" not in s.BANKCRM_CSP.split("script-src")[1].split(";")[0],
        ),
    ]


@login_required
@require_safe
@role_required(CAN_MANAGE_SECURITY)
def security_view(request: AuthenticatedRequest) -> HttpResponse:
    tokens = ApiToken.objects.select_related("user").order_by("revoked_at", "-created_at")[:500]
    enrolled = set(
        TotpDevice.objects.filter(confirmed_at__isnull=False).values_list("user_id", flat=True)
    )
    context: dict[str, Any] = {
        "summary": _settings_summary(),
        "sessions": session_list(),
        "tokens": tokens,
        "enrolled": enrolled,
        "check": chain_last_check(),
    }
    return render(request, "access/security.html", context)


@login_required
@require_POST
@role_required(CAN_MANAGE_SECURITY)
def session_end_view(request: AuthenticatedRequest, ref: str) -> HttpResponse:
    if not session_end(actor=request.user, ref=ref):
        raise Http404("No such session")
    messages.success(request, _("The session was ended: its user must log in again."))
    return redirect("access:security")


@login_required
@require_POST
@role_required(CAN_MANAGE_SECURITY)
def token_revoke_any_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk).first()
    if token is None:
        raise Http404("No such token")
    token_revoke(user=request.user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("access:security")
