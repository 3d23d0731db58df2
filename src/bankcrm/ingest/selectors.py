"""Reading import runs (admin and compliance; the runs hold file names and error rows)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from bankcrm.core.models import User
from bankcrm.core.permissions import require_role
from bankcrm.core.pii import mask_field
from bankcrm.core.roles import CAN_VIEW_IMPORTS
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.specs import KINDS


def import_runs_visible_to(user: User) -> QuerySet[ImportRun]:
    require_role(user, CAN_VIEW_IMPORTS)
    return ImportRun.objects.select_related("created_by")


def import_run_get(*, user: User, run_id: int) -> ImportRun:
    return get_object_or_404(import_runs_visible_to(user), pk=run_id)


def error_value_shown(kind: str, column: str, value: Any) -> Any:
    """A rejected cell as staff see it: ID numbers and mobiles masked (the line and column
    find the cell in the bank's own file)."""
    spec = KINDS.get(kind)
    return mask_field(spec.model, column, value) if spec is not None else value


def import_run_errors(run: ImportRun) -> list[dict[str, Any]]:
    """The run's stored rejected rows, as pages and the API show them."""
    return [
        {**e, "value": error_value_shown(run.kind, e.get("column", ""), e.get("value", ""))}
        for e in run.errors
    ]
