"""Navigation entries each role sees in the shared frame."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bankcrm.access.two_factor import two_factor_satisfied
from bankcrm.core.roles import (
    CAN_MANAGE_JOBS,
    CAN_MANAGE_SECURITY,
    CAN_VIEW_AUDIT,
    CAN_VIEW_DUPLICATES,
    CAN_VIEW_IMPORTS,
    CAN_VIEW_SALES,
    CAN_WORK_SALES,
    has_role,
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    return {
        # Until the second factor is given, the frame offers no page it would refuse.
        "show_nav": signed_in and hasattr(request, "session") and two_factor_satisfied(request),
        "can_view_audit": has_role(user, CAN_VIEW_AUDIT),
        "can_view_imports": has_role(user, CAN_VIEW_IMPORTS),
        "can_view_duplicates": has_role(user, CAN_VIEW_DUPLICATES),
        "can_manage_security": has_role(user, CAN_MANAGE_SECURITY),
        "can_manage_jobs": has_role(user, CAN_MANAGE_JOBS),
        "can_work_sales": has_role(user, CAN_WORK_SALES),
        "can_view_sales": has_role(user, CAN_VIEW_SALES),
    }
