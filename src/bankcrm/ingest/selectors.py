"""Reading import runs (admin and compliance; the runs hold file names and error rows)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from bankcrm.core.roles import CAN_VIEW_IMPORTS, has_role
from bankcrm.ingest.models import ImportRun


def import_runs_visible_to(user: Any) -> QuerySet[ImportRun]:
    if not has_role(user, CAN_VIEW_IMPORTS):
        raise PermissionDenied
    return ImportRun.objects.select_related("created_by")


def import_run_get(*, user: Any, run_id: int) -> ImportRun:
    return get_object_or_404(import_runs_visible_to(user), pk=run_id)
