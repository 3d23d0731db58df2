"""The log-in form: Django's, with the lock-out in front of the password check."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.access.lockout import address_delay, user_locked_until
from bankcrm.core.security import client_ip


class LockingAuthenticationForm(AuthenticationForm):
    """Django's log-in form, refusing to even try a password while the account is locked."""

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        until = user_locked_until(username=username)
        if until is not None:
            raise ValidationError(
                _(
                    "Too many failed log-ins: log-in is locked until %(time)s. "
                    "Ask an administrator if you need access sooner."
                )
                % {"time": timezone.localtime(until).strftime("%H:%M")},
                code="locked",
            )
        wait = address_delay(client_ip(self.request))
        if wait is not None:
            seconds = max(1, math.ceil((wait - timezone.now()).total_seconds()))
            raise ValidationError(
                _("Too many failed log-ins from your address: try again in %(n)d seconds.")
                % {"n": seconds},
                code="slowed",
            )
        return super().clean()
