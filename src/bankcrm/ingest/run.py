"""Running one import: one file → validated rows in a staging table → one set-based upsert.

A file lands whole or not at all. Everything happens in one database transaction:

1. Stream the file row by row, parse and check every cell, and write the good rows to a
   temporary staging table (`stage`, as the `plan` made from the header says).
2. Check the file as a whole in SQL: duplicate natural keys, references to unknown records.
3. If more rows were rejected than tolerated, roll back. Otherwise count what would be
   created, updated and left unchanged, and (unless it is a dry run) upsert by natural key,
   changing only rows whose values differ (`upsert`).

The run records its status, counts and rejected rows (`outcome`), and the audit trail records
the run. Once a landed import has committed, it sends `signals.import_committed`.

A killed import leaves the transaction uncommitted, so the database is as it was; running the
same command again imports the file from the start.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction
from bankcrm.ingest.models import ImportRun, ImportStatus
from bankcrm.ingest.outcome import Outcome, RowError, RowErrors, error_report_write
from bankcrm.ingest.plan import Options, make_plan
from bankcrm.ingest.reading import FileError, Source
from bankcrm.ingest.signals import import_committed
from bankcrm.ingest.specs import Kind
from bankcrm.ingest.stage import Progress, Stage, read_into_stage
from bankcrm.ingest.upsert import Upsert, refresh_aum

RUN_ERRORS = 200  # rejected rows stored on the run itself (the report has them all)

_ACTIVE: set[int] = set()  # runs this process is importing now (threads included)


class _Rejected(Exception):
    """Raised inside the transaction to roll the file back."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def mark_interrupted_runs() -> int:
    """Runs left 'running' by a process that died: interrupted. A live import holds its run's
    lock (``jobs.locks``: the database sees it from every host); a dead one's went with it. A
    queued run waits for a worker; a job redelivered after its worker died runs it again."""
    from bankcrm.jobs.locks import lock_is_held

    n = 0
    for run in ImportRun.objects.filter(status=ImportStatus.RUNNING):
        if run.pk in _ACTIVE or lock_is_held(f"import-run:{run.pk}"):
            continue
        run.status = ImportStatus.INTERRUPTED
        run.finished_at = timezone.now()
        run.message = _("The import stopped before it finished; nothing of it was saved.")
        run.save(update_fields=["status", "finished_at", "message"])
        n += 1
    return n


def run_import(
    run: ImportRun,
    path: Path,
    kind: Kind,
    options: Options,
    *,
    actor: Any = None,
    progress: Progress | None = None,
) -> Outcome:
    """Import one file for ``run`` (already saved). Never raises for bad data: see the outcome."""
    _ACTIVE.add(run.pk)
    try:
        return _Import(run, kind, options, actor=actor, progress=progress).execute(path)
    finally:
        _ACTIVE.discard(run.pk)


class _Laps:
    """The time each step of an import took."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.last = time.monotonic()

    def lap(self, name: str, apart: dict[str, float] | None = None) -> None:
        """The time since the last lap, as ``name``; less the ``apart`` parts, timed within."""
        now = time.monotonic()
        seconds = now - self.last
        for part, took in (apart or {}).items():
            if took:
                self.timings[part] = round(self.timings.get(part, 0.0) + took, 3)
                seconds -= took
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 3)
        self.last = now

    def restart(self) -> None:
        self.last = time.monotonic()


class _Import:
    """One import run, step by step."""

    def __init__(
        self,
        run: ImportRun,
        kind: Kind,
        options: Options,
        *,
        actor: Any,
        progress: Progress | None,
    ) -> None:
        self.run = run
        self.kind = kind
        self.options = options
        self.actor = actor
        self.progress = progress
        self.started = time.monotonic()
        self.outcome = Outcome(
            run_id=run.pk, kind=kind.name, file_name=run.file_name, dry_run=options.dry_run
        )
        self.errors = RowErrors(kind.model)
        self.laps = _Laps()
        self.outcome.timings = self.laps.timings

    def execute(self, path: Path) -> Outcome:
        run, outcome = self.run, self.outcome
        self._mark_running(path)
        self.laps.restart()  # the steps are timed from here
        try:
            with transaction.atomic(), self._open(path) as source:
                self._land(source)
                self.laps.restart()
            self.laps.lap("commit")
            self._save_timings()
        except _Rejected:
            pass
        except FileError as exc:
            outcome.status = ImportStatus.REJECTED
            where = _("line %d: ") % exc.line if exc.line else ""
            outcome.message = where + str(exc)
            self.errors.add(RowError(exc.line, "", "", str(exc)))
        except Exception as exc:
            outcome.status = ImportStatus.FAILED
            outcome.message = _("The import failed: %s") % exc
            self._record()
            raise
        if outcome.status != ImportStatus.SUCCEEDED:
            self._record()
        error_report_write(run.pk, run.file_name, outcome.errors)
        return outcome

    def _mark_running(self, path: Path) -> None:
        run = self.run
        run.status = ImportStatus.RUNNING
        run.started_at = timezone.now()
        run.pid = os.getpid()
        run.file_size = path.stat().st_size
        run.file_sha256 = file_sha256(path)
        run.save()

    def _open(self, path: Path) -> Source:
        mapping = self.options.mapping
        encoding = (
            mapping.encoding if mapping and mapping.encoding else ""
        ) or self.options.encoding
        delimiter = mapping.delimiter if mapping else ""
        return Source(path, encoding=encoding, delimiter=delimiter)

    def _land(self, source: Source) -> None:
        """The file, inside the transaction; raises _Rejected to roll it back."""
        stage = self._read(source)
        self._check(stage)
        upsert = Upsert(stage)
        merged = self._classify(stage, upsert)
        if self.options.dry_run:
            self.outcome.status = ImportStatus.VALIDATED
            self.outcome.message = _("Dry run: the file is valid; nothing was written.")
            raise _Rejected
        self._write(upsert)
        stage.drop()
        self.outcome.status = ImportStatus.SUCCEEDED
        self.outcome.message = _landed_message(self.outcome, merged)
        self._record()
        self._announce_after_commit()

    def _read(self, source: Source) -> Stage:
        """The plan from the header, and the file's good rows in the stage."""
        outcome = self.outcome
        outcome.detected = source.detected.as_dict()
        plan = make_plan(self.kind, source.detected.header, self.options.mapping)
        outcome.detected["columns"] = [c.name for c in plan.columns]
        outcome.detected["ignored_columns"] = plan.ignored
        stage = Stage(plan)
        stage.create()
        outcome.rows_read = read_into_stage(source, plan, stage, self.errors, self.progress)
        # Reading and checking the file, and apart from it the wait for the server to store
        # the rows in the stage (the COPY a database floor also has).
        self.laps.lap("read", apart={"stage": stage.waited})
        return stage

    def _check(self, stage: Stage) -> None:
        """The checks of the file as a whole; too many rows rejected: the file is."""
        outcome, errors = self.outcome, self.errors
        if errors.full:
            outcome.errors_truncated = True
        else:
            for error in stage.duplicates():
                errors.add(error)
            for error in stage.missing_references():
                errors.add(error)
        self.laps.lap("check")
        outcome.rejected = len(errors.lines)
        if errors.count and (errors.full or outcome.rejected > self.options.max_errors):
            outcome.status = ImportStatus.REJECTED
            outcome.message = _(
                "%(rejected)d of %(rows)d rows were rejected; nothing was imported."
            ) % {"rejected": outcome.rejected, "rows": outcome.rows_read}
            raise _Rejected

    def _classify(self, stage: Stage, upsert: Upsert) -> int:
        """Count what the rows left would create, update and leave; the rows of merged-away
        customers (left as they are)."""
        outcome = self.outcome
        stage.drop_lines(sorted(self.errors.lines))
        merged = stage.drop_aliases() if self.kind.skip_aliases else 0
        outcome.created, outcome.updated, outcome.unchanged = upsert.classify()
        outcome.unchanged += merged
        self.laps.lap("classify")
        return merged

    def _write(self, upsert: Upsert) -> None:
        """The upsert, with the audit trail, RM history and AUM it changes."""
        run, kind, outcome, actor = self.run, self.kind, self.outcome, self.actor
        now = timezone.now()
        audited = kind.audit_rows and (outcome.created or outcome.updated)
        if audited and outcome.updated:
            upsert.audit_updated(run.pk, actor, now)
        if kind.track_assignments and outcome.updated:
            upsert.reassign(run.pk, timezone.localdate())
        if outcome.created or outcome.updated:
            upsert.write(now, only_new=not (outcome.updated or outcome.unchanged))
            if audited and outcome.created:
                upsert.audit_created(run.pk, actor, now)
            if kind.track_assignments and outcome.created:
                upsert.assign_created(run.pk, now)
            if kind.refresh_aum:
                refresh_aum(upsert.customer_ids_sql())
        self.laps.lap("write")

    def _announce_after_commit(self) -> None:
        run, kind, outcome = self.run, self.kind, self.outcome

        def announce() -> None:
            # The file has landed: a receiver that fails must not make it a failed import.
            import_committed.send_robust(
                sender=ImportRun,
                run=run,
                kind=kind,
                created=outcome.created,
                updated=outcome.updated,
                unchanged=outcome.unchanged,
                rejected=outcome.rejected,
            )

        transaction.on_commit(announce)

    def _save_timings(self) -> None:
        run, outcome = self.run, self.outcome
        outcome.seconds = time.monotonic() - self.started
        run.finished_at = timezone.now()
        run.detected = {**outcome.detected, "timings": self.laps.timings}
        run.save(update_fields=["finished_at", "detected"])

    def _record(self) -> None:
        """Save the run's outcome and put it in the audit trail."""
        run, outcome = self.run, self.outcome
        outcome.errors = sorted(self.errors.items, key=lambda e: e.line)
        outcome.seconds = time.monotonic() - self.started
        run.status = outcome.status
        run.finished_at = timezone.now()
        run.detected = outcome.detected
        run.rows_read = outcome.rows_read
        run.created, run.updated = outcome.created, outcome.updated
        run.unchanged = outcome.unchanged
        run.rejected = outcome.rejected
        run.errors = [e.as_dict() for e in outcome.errors[:RUN_ERRORS]]
        run.message = outcome.message
        run.save()
        audit_record(
            actor=self.actor,
            action=AuditAction.CREATE,
            obj=run,
            changes=_audit_changes(run, outcome),
            purpose="import",
        )


def _landed_message(outcome: Outcome, merged: int) -> str:
    if outcome.created or outcome.updated:
        message = _(
            "Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
        ) % {"created": outcome.created, "updated": outcome.updated, "unchanged": outcome.unchanged}
    else:
        message = _("Nothing changed: every row is already in the database as it is in the file.")
    if merged:
        message += " " + _(
            "%(n)d rows name customers merged into others and were left as they are."
        ) % {"n": merged}
    return message


def _audit_changes(run: ImportRun, outcome: Outcome) -> dict[str, Any]:
    return {
        "kind": run.kind,
        "file": run.file_name,
        "sha256": run.file_sha256,
        "status": outcome.status,
        "dry_run": outcome.dry_run,
        "read": outcome.rows_read,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }
