"""Two-factor log-in: an authenticator app (TOTP) after the password, required for the roles
in BANKCRM_2FA_REQUIRED_ROLES and optional for everyone else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from bankcrm.access import totp
from bankcrm.access.lockout import code_failures_clear, login_failure_record
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, TotpDevice, User
from bankcrm.core.permissions import AuthenticatedRequest
from bankcrm.core.security import client_ip

SESSION_VERIFIED = "_bankcrm_2fa"
ISSUER = "Bank CRM"


def two_factor_required(user: User | AnonymousUser) -> bool:
    if not isinstance(user, User):
        return False
    if user.role in settings.BANKCRM_2FA_REQUIRED_ROLES:
        return True
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def two_factor_satisfied(request: HttpRequest) -> bool:
    if request.session.get(SESSION_VERIFIED):
        return True
    # Asked by the middleware and again by the page frame: one query per request.
    required = getattr(request, "_bankcrm_2fa_required", None)
    if required is None:
        required = two_factor_required(request.user)
        request._bankcrm_2fa_required = required  # type: ignore[attr-defined]
    return not required


def device_for(user: User) -> TotpDevice:
    """The user's authenticator; a new unconfirmed one (fresh secret) if there is none."""
    device, _created = TotpDevice.objects.get_or_create(
        user=user, defaults={"secret": totp.new_secret()}
    )
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return totp.provisioning_uri(device.secret, account=device.user.username, issuer=ISSUER)


@transaction.atomic
def totp_verify(*, request: AuthenticatedRequest, code: str) -> bool:
    """Check ``code`` for the logged-in user; confirms a new authenticator on its first code.

    A code is accepted once (its time step must be later than the last one used). Wrong codes
    are counted on their own (a correct password does not clear them) and lock the user as
    wrong passwords do; only a correct code clears them.
    """
    user = request.user
    device = TotpDevice.objects.select_for_update().get(pk=device_for(user).pk)
    step = totp.matching_step(device.secret, code)
    if step is None or step <= device.last_step:
        audit_record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            object_type="core.user",
            object_id=str(user.pk),
            changes={"username": user.get_username(), "factor": "totp"},
        )
        login_failure_record(
            username=user.get_username(),
            ip=client_ip(request),
            known=user.get_username(),
            factor="totp",
        )
        return False
    code_failures_clear(username=user.get_username())
    device.last_step = step
    first = device.confirmed_at is None
    if first:
        device.confirmed_at = timezone.now()
    device.save(update_fields=["last_step", "confirmed_at"])
    if first:
        audit_record(
            actor=user, action=AuditAction.CREATE, obj=device, purpose="two-factor enrolment"
        )
    request.session[SESSION_VERIFIED] = True
    return True


class TwoFactorMiddleware:
    """Until the second factor is given, a session reaches only the two-factor page."""

    OPEN = ("/login/", "/logout/", "/i18n/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.OPEN)
            and not two_factor_satisfied(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Give your two-factor code at log-in first.")}, status=401
                )
            target = reverse("access:two_factor")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = target
                return response
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
