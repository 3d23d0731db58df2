"""Imports over the API: upload a file (a job starts), then poll its status and rejected rows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from bankcrm.core.roles import CAN_IMPORT, has_role
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.selectors import import_run_get, import_runs_visible_to
from bankcrm.ingest.services import (
    import_run_create,
    import_start,
    progress_read,
    uploaded_file_save,
)
from bankcrm.ingest.specs import KINDS

router = Router(tags=["imports"])


class ImportErrorOut(Schema):
    line: int
    column: str
    value: str
    reason: str


class ImportRunOut(Schema):
    id: int
    kind: str
    file_name: str
    file_sha256: str
    status: str
    finished: bool
    dry_run: bool
    max_errors: int
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    message: str
    detected: dict[str, Any]
    created_at: Any
    started_at: Any | None = None
    finished_at: Any | None = None


class ImportRunDetailOut(ImportRunOut):
    errors: list[ImportErrorOut]
    progress: dict[str, Any]
    error_report_url: str | None = None


def _detail(request: HttpRequest, run: ImportRun) -> dict[str, Any]:
    from django.urls import reverse

    out = {f: getattr(run, f) for f in ImportRunOut.model_fields if f != "finished"}
    out["id"] = run.pk
    out["finished"] = run.finished
    out["errors"] = run.errors
    out["progress"] = progress_read(run.pk) if not run.finished else {}
    out["error_report_url"] = (
        request.build_absolute_uri(reverse("imports:report", args=[run.pk]))
        if run.rejected
        else None
    )
    return out


@router.post("/imports", response={202: ImportRunDetailOut})
def create_import(
    request: HttpRequest,
    kind: Form[str],
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    max_errors: Form[int] = 0,
    encoding: Form[str] = "auto",
) -> tuple[int, dict[str, Any]]:
    """Start importing one file (CSV, gzip or Parquet) of a kind; poll the run for its outcome."""
    if not has_role(request.user, CAN_IMPORT):
        raise PermissionDenied(_("Only administrators may import files."))
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Unknown kind; one of: %s") % ", ".join(KINDS)]})
    if max_errors < 0:
        raise ValidationError({"max_errors": [_("Must be 0 or more.")]})
    if (file.size or 0) > settings.BANKCRM_IMPORT_MAX_UPLOAD:
        raise ValidationError({"file": [_("The file is too large; use `bankcrm import`.")]})
    if encoding not in ("auto", "utf-8", "gb18030"):
        raise ValidationError({"encoding": [_("auto, utf-8 or gb18030.")]})
    run = import_run_create(
        kind=KINDS[kind],
        file_name=file.name or "upload",
        dry_run=dry_run,
        max_errors=max_errors,
        actor=request.user,
        channel="api",
    )
    path = uploaded_file_save(run, file.chunks())
    import_start(run, path, kind=KINDS[kind], encoding=encoding, actor=request.user)
    run.refresh_from_db()
    return 202, _detail(request, run)


@router.get("/imports", response=list[ImportRunOut])
def list_imports(request: HttpRequest, limit: int = 50) -> Any:
    """The newest import runs."""
    runs = list(import_runs_visible_to(request.user)[: max(1, min(limit, 500))])
    return [{**_detail(request, r)} for r in runs]


@router.get("/imports/{run_id}", response=ImportRunDetailOut)
def get_import(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """One import run: status, counts, what was detected, the first rejected rows."""
    return _detail(request, import_run_get(user=request.user, run_id=run_id))
