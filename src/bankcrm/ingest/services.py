"""Starting imports: from the command line, the admin page and the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bankcrm.ingest.engine import Options, Outcome, Progress, mark_interrupted_runs, run_import
from bankcrm.ingest.mapping import Mapping
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.specs import Kind


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
    return run_import(run, path, kind, options, actor=actor, progress=progress)
