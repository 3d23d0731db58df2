"""Pages for staff accounts: the administrator's list, create and edit (role, branch, active),
password reset and unlock; and everyone's own password change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bankcrm.access import staff
from bankcrm.core.models import User
from bankcrm.core.permissions import AuthenticatedRequest, role_required
from bankcrm.core.roles import CAN_MANAGE_STAFF, Role


class StaffForm(forms.ModelForm):
    class Meta:
        model = User
        fields = staff.STAFF_FIELDS


class NewStaffForm(StaffForm):
    password = forms.CharField(
        label=gettext_lazy("Initial password"), widget=forms.PasswordInput, strip=False
    )


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("New password"), widget=forms.PasswordInput, strip=False
    )


@login_required
@require_safe
@role_required(CAN_MANAGE_STAFF)
def staff_list_view(request: AuthenticatedRequest) -> HttpResponse:
    f = request.GET
    users = list(
        staff.staff_list(
            actor=request.user,
            q=f.get("q", ""),
            role=f.get("role", ""),
            active=f.get("active", ""),
        )[:500]
    )
    locked = staff.staff_locked_names(users)
    rows = [(u, u.username.lower() in locked) for u in users]
    return render(request, "access/staff_list.html", {"rows": rows, "roles": Role.choices, "f": f})


def _save_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    for field, msgs in getattr(exc, "error_dict", {"__all__": exc.messages}).items():
        for m in msgs:
            form.add_error(field if field in form.fields else None, m)


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_MANAGE_STAFF)
def staff_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = NewStaffForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "password"}
        try:
            user = staff.staff_create(
                actor=request.user, data=data, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _save_errors(form, exc)
        else:
            messages.success(request, _("Staff account %(name)s created.") % {"name": user})
            return redirect("access:staff_edit", pk=user.pk)
    return render(request, "access/staff_form.html", {"form": form, "member": None})


@login_required
@require_http_methods(["GET", "POST"])
@role_required(CAN_MANAGE_STAFF)
def staff_edit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = StaffForm(request.POST or None, instance=User.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            staff.staff_update(actor=request.user, user=member, data=form.cleaned_data)
        except ValidationError as exc:
            _save_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("access:staff_edit", pk=pk)
    context: dict[str, Any] = {
        "form": form,
        "member": member,
        "locked": staff.staff_locked(member),
        "reset_form": PasswordResetForm(),
    }
    return render(request, "access/staff_form.html", context)


@login_required
@require_POST
@role_required(CAN_MANAGE_STAFF)
def staff_password_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            staff.staff_password_set(
                actor=request.user, user=member, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("Password reset: give it to them in person."))
    else:
        messages.error(request, _("Type the new password."))
    return redirect("access:staff_edit", pk=pk)


@login_required
@require_POST
@role_required(CAN_MANAGE_STAFF)
def staff_unlock_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    staff.staff_unlock(actor=request.user, user=member)
    messages.success(request, _("%(name)s may log in again.") % {"name": member})
    return redirect("access:staff_edit", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: AuthenticatedRequest) -> HttpResponse:
    """Any member of staff changes their own password (the old one first)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        staff.staff_password_set(
            actor=request.user, user=request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, request.user)  # this session stays logged in
        messages.success(request, _("Your password has been changed."))
        return redirect("web:dashboard")
    return render(request, "access/password_change.html", {"form": form})
