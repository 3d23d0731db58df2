"""Starting imports: from the command line (now, in this process), the admin page and the API
(as jobs: ``ingest.tasks``)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from bankcrm.ingest.mapping import Mapping
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.outcome import Outcome, import_dir
from bankcrm.ingest.plan import Options
from bankcrm.ingest.run import mark_interrupted_runs, run_import
from bankcrm.ingest.specs import Kind
from bankcrm.ingest.stage import Progress
from bankcrm.jobs.engine import enqueue
from bankcrm.jobs.locks import job_lock
from bankcrm.jobs.models import JobRun

logger = logging.getLogger(__name__)
IMPORT_LOCK = "import-run:{run_id}"


def import_run_create(
    *,
    kind: Kind,
    file_name: str,
    dry_run: bool = False,
    max_errors: int = 0,
    mapping: Mapping | None = None,
    actor: Any = None,
    channel: str = "",
) -> ImportRun:
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return ImportRun.objects.create(
        kind=kind.name,
        file_name=file_name,
        dry_run=dry_run,
        max_errors=max_errors,
        mapping_name=mapping.name if mapping else "",
        created_by=actor if is_user else None,
        channel=channel,
        pid=os.getpid(),
    )


def import_path(
    kind: Kind,
    path: Path,
    *,
    dry_run: bool = False,
    max_errors: int = 0,
    encoding: str = "auto",
    mapping: Mapping | None = None,
    actor: Any = None,
    progress: Progress | None = None,
    channel: str = "",
    file_name: str = "",
) -> Outcome:
    """Import one file now, in this process; the run records the outcome."""
    mark_interrupted_runs()
    run = import_run_create(
        kind=kind,
        file_name=file_name or path.name,
        dry_run=dry_run,
        max_errors=max_errors,
        mapping=mapping,
        actor=actor,
        channel=channel,
    )
    options = Options(dry_run=dry_run, max_errors=max_errors, encoding=encoding, mapping=mapping)
    # The lock tells other processes this run is alive (see mark_interrupted_runs).
    with job_lock(IMPORT_LOCK.format(run_id=run.pk)):
        return run_import(run, path, kind, options, actor=actor, progress=progress)


# --- jobs started from the admin page and the API -------------------------------------------


def progress_path(run_id: int) -> Path:
    return import_dir() / f"run-{run_id}.progress.json"


def progress_read(run_id: int) -> dict[str, Any]:
    try:
        return dict(json.loads(progress_path(run_id).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def progress_writer(run_id: int) -> Progress:
    path = progress_path(run_id)
    started = time.monotonic()

    def write(rows: int, done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        rate = rows / elapsed if elapsed > 0 else 0.0
        share = done / total if total else 0.0
        eta = elapsed * (1 - share) / share if share > 0 else None
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "rows": rows,
                    "bytes": done,
                    "total_bytes": total,
                    "percent": round(100 * share, 1),
                    "rows_per_second": round(rate),
                    "eta_seconds": None if eta is None else round(eta),
                }
            ),
            encoding="utf-8",
        )
        os.replace(tmp, path)

    return write


def uploaded_file_save(run: ImportRun, chunks: Iterable[bytes]) -> Path:
    """Keep an uploaded file next to the run's error report (the run names the original)."""
    path = import_dir() / f"run-{run.pk}-upload"
    with path.open("wb") as f:
        for chunk in chunks:
            f.write(chunk)
    return path


def import_start(
    run: ImportRun,
    path: Path,
    *,
    kind: Kind,
    encoding: str = "auto",
    mapping: Mapping | None = None,
    actor: Any = None,
) -> JobRun:
    """Run the import as a job (``ingest.tasks``), sent once the run is committed: on a worker
    when a broker is configured, else in this process before the response."""
    from bankcrm.ingest.tasks import import_file_task, mapping_arguments

    mark_interrupted_runs()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return enqueue(
        import_file_task,
        actor=actor,
        run_id=run.pk,
        path=str(path),
        kind=kind.name,
        encoding=encoding,
        mapping=mapping_arguments(mapping),
        actor_id=actor.pk if is_user else None,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
