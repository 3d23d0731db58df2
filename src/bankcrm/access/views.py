"""Log-in, log-out and the second factor."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from bankcrm.access import two_factor
from bankcrm.access.forms import LockingAuthenticationForm
from bankcrm.access.lockout import user_locked_until
from bankcrm.core.permissions import AuthenticatedRequest


class LoginView(auth_views.LoginView):
    template_name = "access/login.html"
    redirect_authenticated_user = True
    form_class = LockingAuthenticationForm


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
