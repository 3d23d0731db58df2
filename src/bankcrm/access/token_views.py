"""A staff member's own API tokens: list, create (shown once) and revoke."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from bankcrm.access.models import ApiToken
from bankcrm.access.services import token_create, token_revoke
from bankcrm.core.permissions import AuthenticatedRequest


class TokenForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    days = forms.TypedChoiceField(
        label=_("valid for"),
        coerce=int,
        initial=90,
        choices=[(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))],
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        _token, raw = token_create(
            user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "access/tokens.html", {"form": form, "tokens": tokens, "raw": raw})


@login_required
@require_POST
def token_revoke_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        token = ApiToken.objects.get(pk=pk, user=request.user)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    token_revoke(user=request.user, token=token)
    return redirect("access:token_list")
