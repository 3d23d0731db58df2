"""What an import ends with: its outcome, the rows it rejected and why, and the error report.

The rejected rows are kept masked wherever they go (the outcome, the run, the report): the line
and column find the cell in the bank's own file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from bankcrm.core import csvfile
from bankcrm.core.pii import mask_field
from bankcrm.ingest.models import ImportStatus

KEEP_ERRORS = 100_000  # rejected rows kept for the report; reading stops beyond this


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class Outcome:
    run_id: int
    kind: str
    file_name: str
    status: str = ImportStatus.RUNNING
    dry_run: bool = False
    detected: dict[str, Any] = field(default_factory=dict)
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False
    message: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def landed(self) -> bool:
        return self.status == ImportStatus.SUCCEEDED

    @property
    def valid(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.VALIDATED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "file": self.file_name,
            "status": self.status,
            "dry_run": self.dry_run,
            "landed": self.landed,
            "detected": self.detected,
            "counts": {
                "read": self.rows_read,
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "rejected": self.rejected,
            },
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "timings": self.timings,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.errors_truncated,
        }


class RowErrors:
    """The rejected rows of one import; an ID number or mobile among them is kept masked."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.items: list[RowError] = []
        self.lines: set[int] = set()
        self.count = 0

    def add(self, error: RowError) -> None:
        error = self._masked(_storable(error))
        self.count += 1
        self.lines.add(error.line)
        if len(self.items) < KEEP_ERRORS:
            self.items.append(error)

    def _masked(self, error: RowError) -> RowError:
        shown = mask_field(self.model, error.column, error.value)
        if shown == error.value:
            return error
        # The reason may quote the cell ("… is longer than 32 characters"): masked too.
        reason = error.reason
        for quoted in {error.value, error.value[:40]}:
            if quoted and quoted in reason:
                reason = reason.replace(quoted, mask_field(self.model, error.column, quoted))
        return RowError(error.line, error.column, shown, reason)

    @property
    def full(self) -> bool:
        return self.count >= KEEP_ERRORS


def _storable(error: RowError) -> RowError:
    """The error without NUL characters, which PostgreSQL text cannot store."""
    if "\x00" not in error.value and "\x00" not in error.reason:
        return error
    return RowError(
        error.line,
        error.column,
        error.value.replace("\x00", "\\0"),
        error.reason.replace("\x00", "\\0"),
    )


def import_dir() -> Path:
    path = Path(getattr(settings, "BANKCRM_IMPORT_DIR", settings.VAR_DIR / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def error_report_path(run_id: int) -> Path:
    return import_dir() / f"run-{run_id}-errors.csv"


def error_report_write(run_id: int, file_name: str, errors: list[RowError]) -> None:
    """The run's rejected rows as a CSV file (none: no file)."""
    path = error_report_path(run_id)
    if not errors:
        path.unlink(missing_ok=True)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csvfile.writer(f)
        out.writerow([_("file"), _("line"), _("column"), _("value"), _("reason")])
        for e in errors:
            out.writerow([file_name, e.line, e.column, e.value, e.reason])
