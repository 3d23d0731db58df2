"""Imports over the API: upload a file (a job starts), then poll its status and rejected rows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from bankcrm.api.schemas import Id, ImportRunDetailOut, ImportRunOut, Text, one_of, responses
from bankcrm.core.permissions import AuthenticatedRequest, require_role
from bankcrm.core.roles import CAN_IMPORT
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.selectors import import_run_get, import_runs_visible_to
from bankcrm.ingest.services import (
    import_run_create,
    import_start,
    uploaded_file_save,
)
from bankcrm.ingest.specs import KINDS

router = Router(tags=["imports"])
ENCODINGS = ("auto", "utf-8", "gb18030")


class ImportIn(Schema):
    kind: Text = Field(json_schema_extra=one_of(KINDS))
    dry_run: bool = False
    # The run stores it in a 32-bit column; below 0 is refused with a message of its own.
    max_errors: int = Field(0, le=2**31 - 1)
    encoding: Text = Field("auto", json_schema_extra=one_of(ENCODINGS))


@router.post("/imports", response=responses({202: ImportRunDetailOut}, 400, 403))
def create_import(
    request: AuthenticatedRequest, form: Form[ImportIn], file: File[UploadedFile]
) -> tuple[int, ImportRun]:
    """Start importing one file (CSV, gzip or Parquet) of a kind; poll the run for its outcome."""
    require_role(request.user, CAN_IMPORT, _("Only administrators may import files."))
    if form.kind not in KINDS:
        raise ValidationError({"kind": [_("Unknown kind; one of: %s") % ", ".join(KINDS)]})
    if form.max_errors < 0:
        raise ValidationError({"max_errors": [_("Must be 0 or more.")]})
    if (file.size or 0) > settings.BANKCRM_IMPORT_MAX_UPLOAD:
        raise ValidationError({"file": [_("The file is too large; use `bankcrm import`.")]})
    if form.encoding not in ENCODINGS:
        raise ValidationError({"encoding": [_("auto, utf-8 or gb18030.")]})
    run = import_run_create(
        kind=KINDS[form.kind],
        file_name=file.name or "upload",
        dry_run=form.dry_run,
        max_errors=form.max_errors,
        actor=request.user,
        channel="api",
    )
    path = uploaded_file_save(run, file.chunks())
    import_start(run, path, kind=KINDS[form.kind], encoding=form.encoding, actor=request.user)
    run.refresh_from_db()
    return 202, run


@router.get("/imports", response=responses({200: list[ImportRunOut]}, 403))
def list_imports(request: AuthenticatedRequest, limit: int = 50) -> Any:
    """The newest import runs."""
    return list(import_runs_visible_to(request.user)[: max(1, min(limit, 500))])


@router.get("/imports/{run_id}", response=responses({200: ImportRunDetailOut}, 403, 404))
def get_import(request: AuthenticatedRequest, run_id: Id) -> ImportRun:
    """One import run: status, counts, what was detected, the first rejected rows."""
    return import_run_get(user=request.user, run_id=run_id)
