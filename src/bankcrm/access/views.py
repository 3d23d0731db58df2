"""Log-in, log-out and the second factor."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bankcrm.access import two_factor
from bankcrm.access.forms import LockingAuthenticationForm
from bankcrm.access.lockout import user_locked_until
from bankcrm.core.models import User
from bankcrm.core.permissions import AuthenticatedRequest

# What each role should try first in the demo bank, by demo user name.
DEMO_FIRST_STEPS: dict[str, Any] = {
    "rm_demo": gettext_lazy(
        "Open a customer from the dashboard, log a call, add a task, reveal a mobile."
    ),
    "rm_demo2": gettext_lazy(
        "Try to open rm_demo's customers: another RM's customers are not there."
    ),
    "manager_demo": gettext_lazy(
        "Filter the customer list by RM, save the view for the branch, reassign."
    ),
    "marketing_demo": gettext_lazy(
        "Filter by RFM segment and churn risk, export the list (masked)."
    ),
    "service_demo": gettext_lazy(
        "Search by the last 4 digits of a mobile, record a consent withdrawal."
    ),
    "compliance_demo": gettext_lazy("Verify the audit chain, read a customer's access report."),
    "admin_demo": gettext_lazy("Import a file, review duplicates, manage staff accounts."),
}


class LoginView(auth_views.LoginView):
    template_name = "access/login.html"
    redirect_authenticated_user = True
    form_class = LockingAuthenticationForm

    def get_default_redirect_url(self) -> str:
        # An RM's day starts on their agenda (sales); everyone else on the dashboard.
        if getattr(self.request.user, "role", "") == "rm":
            return resolve_url("sales:agenda")
        return str(super().get_default_redirect_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.BANKCRM_DEMO_LOGINS:
            users = User.objects.filter(username__in=DEMO_FIRST_STEPS, is_active=True)
            context["demo_logins"] = [
                (u.username, u.get_role_display(), DEMO_FIRST_STEPS[u.username])
                for u in sorted(users, key=lambda u: list(DEMO_FIRST_STEPS).index(u.username))
            ]
            context["demo_password"] = settings.BANKCRM_DEMO_PASSWORD
        return context


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def two_factor_view(request: AuthenticatedRequest) -> HttpResponse:
    """The second factor: a code from the authenticator app; set-up when there is none yet."""
    device = two_factor.device_for(request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    error = ""
    if request.method == "POST":
        if two_factor.totp_verify(request=request, code=request.POST.get("code", "")):
            return redirect(next_url or "web:dashboard")
        until = user_locked_until(username=request.user.get_username())
        if until is not None:
            logout(request)
            messages.error(
                request,
                _("Too many wrong codes: log-in is locked until %(time)s.")
                % {"time": timezone.localtime(until).strftime("%H:%M")},
            )
            return redirect("access:login")
        error = _("That code is not right, or was already used. Enter the current code.")
    context: dict[str, Any] = {"device": device, "next": next_url, "error": error}
    if device.confirmed_at is None:
        uri = two_factor.provisioning_uri(device)
        context["uri"] = uri
        context["qr_svg"] = segno.make(uri, error="m").svg_inline(scale=4, dark="#1d2733")
        context["secret_groups"] = " ".join(
            device.secret[i : i + 4] for i in range(0, len(device.secret), 4)
        )
    return render(request, "access/two_factor.html", context, status=400 if error else 200)
