"""Backups of the whole database and their restore, each file checked against its manifest.

PostgreSQL is dumped with ``pg_dump --format=custom`` and restored with ``pg_restore`` in one
transaction; SQLite is copied page by page with the online backup API, both ways. Next to each
backup file a manifest (``PATH.manifest.json``) holds the file's SHA-256, the migration state
and the row count of every table, all read from the very snapshot that was dumped: a restore
refuses a file that does not match its manifest and, once done, checks every table's count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bankcrm.core.models import User

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction

FORMAT_VERSION = 1
MANIFEST_SUFFIX = ".manifest.json"
ENGINES = ("postgresql", "sqlite")
# libpq parameters that may sit in DATABASES["default"]["OPTIONS"]; Django's own options
# (pool, isolation level, server-side binding) mean nothing to pg_dump and are left out.
LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "connect_timeout",
    "options",
    "application_name",
    "target_session_attrs",
    "service",
    "passfile",
}
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done or did not hold; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict[str, Any]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "manifest_path": str(self.manifest_path),
            "seconds": round(self.seconds, 3),
            **self.manifest,
        }


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    engine: str
    created_at: str
    tables: int
    rows: int
    unapplied_migrations: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "engine": self.engine,
            "created_at": self.created_at,
            "tables": self.tables,
            "rows": self.rows,
            "row_counts_match": True,
            "unapplied_migrations": self.unapplied_migrations,
            "seconds": round(self.seconds, 3),
        }


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


# -- backup ---------------------------------------------------------------------------------


def backup_create(*, path: Path, actor: User | None = None) -> BackupResult:
    """Write a backup of the configured database to ``path``, and its manifest next to it.

    The audit event of the backup is committed before the snapshot is taken, so the backup
    holds the record of its own making. A second event, once the file is complete, keeps its
    SHA-256 in the live trail. Nothing is left at ``path`` unless the whole backup succeeded.
    """
    started = time.monotonic()
    engine = _engine()
    _outside_transaction()
    path = path.expanduser().absolute()
    manifest_path = manifest_path_for(path)
    _check_target(path)
    if engine == "postgresql":
        _tool("pg_dump")
    event = audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="backup",
        object_id=path.name[:64],
        changes={"file": path.name},
        purpose="backup",
    )
    with _partial(path) as tmp:
        taken = timezone.now()
        if engine == "postgresql":
            counts, migrations = _pg_dump(tmp)
        else:
            counts, migrations = _sqlite_backup(tmp)
        manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "engine": engine,
            "created_at": taken.isoformat(),
            "file": path.name,
            "bytes": tmp.stat().st_size,
            "sha256": file_sha256(tmp),
            "audit_event": event.pk,
            "migrations": migrations,
            "tables": counts,
            "rows": sum(counts.values()),
        }
        with _partial(manifest_path) as tmp_manifest:
            tmp_manifest.write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            _fsync(tmp_manifest)
            # The file first: a crash between the two renames leaves a backup whose manifest
            # is missing or older, which a restore refuses, never a manifest without its file.
            os.replace(tmp, path)
            os.replace(tmp_manifest, manifest_path)
    _fsync_dir(path.parent)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="backup",
        object_id=path.name[:64],
        changes={
            "file": path.name,
            "sha256": manifest["sha256"],
            "tables": len(counts),
            "rows": manifest["rows"],
        },
        purpose="backup",
    )
    return BackupResult(
        path=path,
        manifest_path=manifest_path,
        manifest=manifest,
        seconds=time.monotonic() - started,
    )


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise BackupError(
            _("%(path)s is a folder: give the name of the backup file to write.") % {"path": path}
        )
    if path.exists():
        raise BackupError(
            _("%(path)s already exists: choose another name, or delete the old backup first.")
            % {"path": path}
        )
    if not path.parent.exists():
        raise BackupError(_("The folder %(folder)s does not exist.") % {"folder": path.parent})
    # Writable, really: an attempt says more than permission bits (root, ACLs, read-only mounts).
    with _partial(path):
        pass


@contextlib.contextmanager
def _partial(path: Path) -> Iterator[Path]:
    """A temporary file in the folder of ``path``; removed unless renamed by the caller."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(
            _("Cannot write to the folder %(folder)s: %(reason)s")
            % {"folder": path.parent, "reason": exc.strerror or exc}
        ) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _pg_dump(tmp: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Dump to ``tmp`` from a snapshot whose row counts go into the manifest."""
    with _pg_snapshot_connection() as snap:
        # pg_dump reads the exported snapshot: the counts are those of the data it dumps.
        row = snap.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot_id = str(row[0])
        counts = _pg_counts(snap)
        migrations = _migration_state(snap.cursor(), counts)
        _run(
            "pg_dump",
            ["--format=custom", "--no-password", f"--snapshot={snapshot_id}", f"--file={tmp}"],
        )
        snap.rollback()
    _fsync(tmp)
    return counts, migrations


def _sqlite_backup(tmp: Path) -> tuple[dict[str, int], dict[str, str]]:
    connection.ensure_connection()
    source = connection.connection
    target = sqlite3.connect(tmp)
    try:
        try:
            source.backup(target)
        except sqlite3.Error as exc:
            raise BackupError(_("The SQLite backup failed: %(reason)s") % {"reason": exc}) from exc
        # The copy keeps the source's WAL flag; a file in rollback mode stands alone (no -wal
        # or -shm beside it) and opens read-only anywhere.
        target.execute("PRAGMA journal_mode=DELETE")
        counts = _sqlite_counts(target)
        migrations = _migration_state(target.cursor(), counts)
    finally:
        target.close()
    _fsync(tmp)
    return counts, migrations


# -- restore --------------------------------------------------------------------------------


def backup_verify(*, path: Path) -> dict[str, Any]:
    """The manifest of ``path`` once the file is shown to be the one it describes."""
    manifest_path = manifest_path_for(path)
    if not path.is_file():
        raise BackupError(_("No backup file %(path)s.") % {"path": path})
    if not manifest_path.is_file():
        raise BackupError(
            _("No manifest next to the backup: %(path)s is missing.") % {"path": manifest_path}
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        version = manifest.get("format_version")
        tables = manifest["tables"]
        expected_bytes = int(manifest["bytes"])
        expected_sha = str(manifest["sha256"])
        engine = str(manifest["engine"])
        if not isinstance(tables, dict):
            raise ValueError("tables is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            _("The manifest %(path)s cannot be read: %(reason)s")
            % {"path": manifest_path, "reason": exc}
        ) from exc
    if version != FORMAT_VERSION:
        raise BackupError(
            _(
                "The manifest %(path)s has format version %(version)s; this version of the "
                "bank CRM reads version %(supported)s."
            )
            % {"path": manifest_path, "version": version, "supported": FORMAT_VERSION}
        )
    if engine not in ENGINES:
        raise BackupError(
            _("The manifest %(path)s cannot be read: %(reason)s")
            % {"path": manifest_path, "reason": f"engine {engine!r}"}
        )
    size = path.stat().st_size
    if size != expected_bytes:
        raise BackupError(
            _("%(path)s is truncated or padded: %(size)s bytes instead of %(expected)s.")
            % {"path": path, "size": f"{size:,}", "expected": f"{expected_bytes:,}"}
            + " "
            + _("Nothing was restored.")
        )
    if file_sha256(path) != expected_sha:
        raise BackupError(
            _("%(path)s is corrupted: its SHA-256 does not match the manifest.") % {"path": path}
            + " "
            + _("Nothing was restored.")
        )
    return manifest


def backup_restore(*, path: Path, force: bool = False) -> RestoreResult:
    """Replace the configured database with the backup at ``path`` and check every table.

    The file is checked against its manifest before anything is written, and a database that
    holds customers or staff is only replaced with ``force``.
    """
    started = time.monotonic()
    engine = _engine()
    _outside_transaction()
    path = path.expanduser().absolute()
    manifest = backup_verify(path=path)
    if manifest["engine"] != engine:
        raise BackupError(
            _("This backup is of a %(engine)s database; the configured database is %(vendor)s.")
            % {"engine": manifest["engine"], "vendor": engine}
        )
    if not force:
        held = _people_present()
        if any(held.values()):
            raise BackupError(
                _(
                    "The database already holds data (%(customers)s customers, %(users)s staff "
                    "users): a restore replaces all of it. Add --force to replace it."
                )
                % {key: f"{held.get(key, 0):,}" for key in ("customers", "users")}
            )
    if engine == "postgresql":
        _pg_restore(path)
    else:
        _sqlite_restore(path)
    # Whatever the connection knew about the old tables (cached types, statements) is stale.
    connection.close()
    expected = {str(k): int(v) for k, v in manifest["tables"].items()}
    found = table_row_counts()
    # A table the backup does not know (a newer migration's) may stay if it is empty.
    differences = []
    for table in sorted(set(expected) | set(found)):
        want, n = expected.get(table, 0), found.get(table)
        if n is None:
            differences.append(
                _("%(table)s is missing (the manifest has %(expected)s rows)")
                % {"table": table, "expected": f"{want:,}"}
            )
        elif n != want:
            differences.append(
                _("%(table)s has %(found)s rows, the manifest %(expected)s")
                % {"table": table, "found": f"{n:,}", "expected": f"{want:,}"}
            )
    if differences:
        raise BackupError(
            _("The restored database does not match the backup's manifest: %(tables)s.")
            % {"tables": "; ".join(differences)}
        )
    return RestoreResult(
        path=path,
        engine=engine,
        created_at=str(manifest.get("created_at", "")),
        tables=len(expected),
        rows=sum(expected.values()),
        unapplied_migrations=_unapplied_migrations(),
        seconds=time.monotonic() - started,
    )


def _people_present() -> dict[str, int]:
    """The rows of the models the apps declare as a bank's data (``restore_guard`` on their
    AppConfig: customers, staff users), by the word the refusal counts them with; none when
    the database has no tables."""
    names = set(connection.introspection.table_names())
    held = {}
    for config in apps.get_app_configs():
        guard: dict[str, str] = getattr(config, "restore_guard", {})
        for key, model_name in guard.items():
            model = config.get_model(model_name)
            held[key] = model._default_manager.count() if model._meta.db_table in names else 0
    return held


def _pg_restore(path: Path) -> None:
    # One transaction: a restore that fails half-way leaves the database as it was.
    _run(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            str(path),
        ],
    )


def _sqlite_restore(path: Path) -> None:
    source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(_("The SQLite restore failed: %(reason)s") % {"reason": exc}) from exc
    finally:
        source.close()


def _unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def restore_notes(result: RestoreResult) -> list[str]:
    """What an operator should do next, in words."""
    n = result.unapplied_migrations
    if not n:
        return []
    return [
        ngettext(
            "%(count)d migration is not applied to the restored database yet: run bankcrm migrate.",
            "%(count)d migrations are not applied to the restored database yet: run bankcrm "
            "migrate.",
            n,
        )
        % {"count": n}
    ]


# -- shared ---------------------------------------------------------------------------------


def table_row_counts() -> dict[str, int]:
    """Rows in every table of the configured database, by table name."""
    if connection.vendor == "postgresql":
        with _pg_snapshot_connection() as conn:
            return _pg_counts(conn)
    connection.ensure_connection()
    return _sqlite_counts(connection.connection)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ENGINES:
        raise BackupError(
            _("Backups are made of PostgreSQL and SQLite databases, not %(vendor)s.")
            % {"vendor": vendor}
        )
    return vendor


def _outside_transaction() -> None:
    # pg_dump sees only committed rows, and pg_restore would wait for the locks this
    # connection's transaction holds: both run beside it, never inside it.
    if connection.in_atomic_block:
        raise BackupError(
            _(
                "A backup or a restore cannot run inside a database transaction: it sees only "
                "committed data."
            )
        )


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        major = getattr(connection, "pg_version", 0) // 10000 or ""
        raise BackupError(
            _(
                "%(tool)s was not found: install the PostgreSQL client programs (version "
                "%(version)s or newer, e.g. the postgresql-client package) and put them on PATH."
            )
            % {"tool": name, "version": major}
        )
    return found


def _pg_conninfo(*, with_password: bool = True) -> str:
    """The libpq connection string of the configured database."""
    from psycopg.conninfo import make_conninfo

    s = connection.settings_dict
    params: dict[str, Any] = {
        "dbname": s.get("NAME") or "",
        "host": s.get("HOST") or "",
        "port": str(s.get("PORT") or ""),
        "user": s.get("USER") or "",
        "password": (s.get("PASSWORD") or "") if with_password else "",
    }
    params.update({k: v for k, v in (s.get("OPTIONS") or {}).items() if k in LIBPQ_OPTIONS})
    return make_conninfo(**{k: v for k, v in params.items() if v != ""})


def _pg_snapshot_connection() -> Any:
    """A connection of its own whose every statement sees one snapshot of the database."""
    import psycopg

    conn = psycopg.connect(_pg_conninfo())
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    return conn


def _run(tool: str, args: list[str]) -> None:
    """Run a PostgreSQL client program against the configured database (``--dbname`` added).

    The password goes in PGPASSWORD, never on the command line, where other users of the
    machine could read it.
    """
    env = dict(os.environ)
    password = connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)
    command = [_tool(tool), *args, f"--dbname={_pg_conninfo(with_password=False)}"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": tool, "error": exc.strerror or exc}
        ) from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": tool, "error": " ".join(lines[-5:]) or f"exit status {done.returncode}"}
        )


def _pg_counts(conn: Any) -> dict[str, int]:
    from psycopg import sql

    tables = conn.execute(
        "SELECT schemaname, tablename, schemaname = current_schema() FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY schemaname, tablename"
    ).fetchall()
    counts = {}
    for schema, table, current in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        row = conn.execute(query).fetchone()
        counts[table if current else f"{schema}.{table}"] = int(row[0])
    return counts


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        counts[table] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])  # noqa: S608
    return counts


def _migration_state(cursor: Any, counts: dict[str, int]) -> dict[str, str]:
    """The latest applied migration of every app (names sort by their number)."""
    if "django_migrations" not in counts:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    # The renames last only once the folder itself is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = [
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "backup_create",
    "backup_restore",
    "backup_verify",
    "file_sha256",
    "manifest_path_for",
    "restore_notes",
    "table_row_counts",
]
