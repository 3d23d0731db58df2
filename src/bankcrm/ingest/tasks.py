"""Imports as jobs: one task per import run, keyed by the run.

The import itself is all-or-nothing, so a task redelivered after its worker died simply runs
the file again; a run that has already landed (or been refused) is never run twice.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from bankcrm.ingest.mapping import Mapping
from bankcrm.ingest.models import ImportRun, ImportStatus
from bankcrm.ingest.plan import Options
from bankcrm.ingest.run import run_import
from bankcrm.ingest.specs import KINDS
from bankcrm.jobs.engine import JobFailed, JobTask

# Outcomes that end a run for good; a run that failed or was interrupted may run again.
SETTLED = frozenset({ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.VALIDATED})


def mapping_arguments(mapping: Mapping | None) -> dict[str, Any] | None:
    return asdict(mapping) if mapping is not None else None


@shared_task(base=JobTask, kind="import", key="import-run:{run_id}")
def import_file_task(
    *,
    run_id: int,
    path: str,
    kind: str,
    encoding: str = "auto",
    mapping: dict[str, Any] | None = None,
    actor_id: int | None = None,
    language: str = "en",
) -> dict[str, Any]:
    """Import the uploaded file of ``run_id``; the run records the outcome."""
    from bankcrm.ingest.services import progress_writer

    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        raise JobFailed(_("Import run %(id)s does not exist.") % {"id": run_id})
    if run.status in SETTLED:
        return {"status": run.status, "rows_read": run.rows_read, "repeated": True}
    source = Path(path)
    if not source.exists():
        raise JobFailed(
            _("The uploaded file of import run %(id)s is no longer there.") % {"id": run_id}
        )
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    options = Options(
        dry_run=run.dry_run,
        max_errors=run.max_errors,
        encoding=encoding,
        mapping=Mapping(**mapping) if mapping else None,
    )
    with translation.override(language):
        outcome = run_import(
            run, source, KINDS[kind], options, actor=actor, progress=progress_writer(run.pk)
        )
    source.unlink(missing_ok=True)
    return {
        "status": outcome.status,
        "rows_read": outcome.rows_read,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }
