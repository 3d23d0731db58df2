"""Recovery drill: back up a small bank, restore it into a fresh database, find nothing lost.

Runs on the suite's database (in-memory SQLite or PostgreSQL). The restore runs as a separate
`bankcrm restore` process pointed at a database created for the drill (a new PostgreSQL
database, or an SQLite file), as it would on a replacement server. Both databases are then read
over plain driver connections with the same SQL, so they are compared value for value.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from bankcrm.banking.models import Account
from bankcrm.core.audit import (
    RequestContext,
    audit_record,
    reset_request_context,
    set_request_context,
)
from bankcrm.core.backup import file_sha256, manifest_path_for
from bankcrm.core.models import AuditAction, AuditEvent, User
from bankcrm.customers.models import Customer
from bankcrm.customers.services import consent_record, customer_reveal, customer_viewed
from tests.factories import AccountFactory, CustomerFactory, SnapshotFactory

pytestmark = pytest.mark.django_db(transaction=True)

BANKCRM = Path(sys.executable).parent / "bankcrm"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore are PostgreSQL's"
)


# -- reading a database the same way on both sides ------------------------------------------


@dataclass
class State:
    counts: dict[str, int]
    balances: list[tuple[Any, ...]]
    balance_total: Any
    consents: dict[tuple[Any, ...], tuple[Any, ...]]
    audit: list[tuple[Any, ...]]


def _connect(settings_dict: dict[str, Any]) -> Any:
    if connection.vendor == "postgresql":
        return psycopg.connect(
            dbname=settings_dict["NAME"],
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"] or None,
        )
    name = str(settings_dict["NAME"])
    return sqlite3.connect(name, uri=name.startswith("file:"))


def _tables(conn: Any) -> list[str]:
    if connection.vendor == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(r[0] for r in conn.execute(sql).fetchall())


def read_state(settings_dict: dict[str, Any]) -> State:
    conn = _connect(settings_dict)
    try:
        counts = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables(conn)
        }
        consents = {}
        for customer, purpose, channel, granted, source, at in conn.execute(
            "SELECT customer_id, purpose, channel, granted, source, recorded_at "
            "FROM customers_consentevent ORDER BY customer_id, purpose, channel, recorded_at, id"
        ).fetchall():
            consents[(customer, purpose, channel)] = (bool(granted), source, at)  # latest wins
        return State(
            counts=counts,
            balances=conn.execute(
                "SELECT account_no, balance, status FROM banking_account ORDER BY account_no"
            ).fetchall(),
            balance_total=conn.execute("SELECT sum(balance) FROM banking_account").fetchone()[0],
            consents=consents,
            audit=conn.execute("SELECT * FROM core_auditevent ORDER BY id").fetchall(),
        )
    finally:
        conn.close()


def source_state() -> State:
    return read_state(connection.settings_dict)


# -- the bank, the backup and the fresh database --------------------------------------------


@pytest.fixture
def small_bank() -> dict[str, Any]:
    """The demo bank (200 customers) plus accounts, balances, consents and audit events."""
    call_command(
        "demo", "--customers", "200", "--direct", "--no-analytics", "--seed", "7", stdout=StringIO()
    )
    admin = User.objects.get(username="admin_demo")
    first, second = Customer.objects.order_by("id")[:2]
    account = AccountFactory(
        customer=first, branch=first.branch, balance=Decimal("1234567.89"), currency="CNY"
    )
    SnapshotFactory(account=account, customer=first, balance=Decimal("1234567.89"))
    consent_record(
        actor=admin, customer=first, purpose="marketing", channel="sms", granted=True, source="app"
    )
    consent_record(
        actor=admin, customer=first, purpose="marketing", channel="sms", granted=False, source="app"
    )
    customer_viewed(actor=admin, customer=second)
    customer_reveal(actor=admin, customer=second, field="mobile", reason="回访核实身份")
    token = set_request_context(RequestContext(ip_address="10.8.0.7", channel="web"))
    try:
        audit_record(
            actor=admin,
            action=AuditAction.UPDATE,
            obj=first,
            customer_id=first.pk,
            changes={"地址": ["北京市东城区", "上海市浦东新区"], "aum": ["1.00", "2.50"]},
            purpose="客户来电更新地址",
        )
    finally:
        reset_request_context(token)
    return {"first": first, "account": account}


def _backup(path: Path, *args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("backup", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database on the suite's engine, with the environment pointing at it."""
    env = {
        **os.environ,
        "BANKCRM_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
    }
    if connection.vendor != "postgresql":
        path = tmp_path / "restored.sqlite3"
        env["BANKCRM_DATABASE_URL"] = f"sqlite:///{path}"
        yield {"NAME": str(path)}, env
        return
    s = connection.settings_dict
    name = f"{s['NAME']}_restored"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env["BANKCRM_DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"
    try:
        yield {**s, "NAME": name}, env
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restore(env: dict[str, str], path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BANKCRM), "restore", str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# -- the drill ------------------------------------------------------------------------------


def test_drill_a_bank_restored_into_a_fresh_database_has_every_row_balance_consent_and_event(
    small_bank, tmp_path, fresh_database
):
    target, env = fresh_database
    path = tmp_path / "bank.backup"
    manifest = _backup(path)
    source = source_state()
    assert manifest["sha256"] == file_sha256(path)
    assert (
        json.loads(manifest_path_for(path).read_text(encoding="utf-8"))["sha256"]
        == (manifest["sha256"])
    )

    done = _restore(env, path, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["row_counts_match"] is True and report["unapplied_migrations"] == 0
    assert report["rows"] == manifest["rows"] and report["tables"] == len(source.counts)
    restored = read_state(target)

    # The live trail holds one event more than the backup: the one made once the file was
    # complete, which carries its SHA-256.
    completion = source.audit[-1]
    assert completion[0] > manifest["audit_event"]
    expected_counts = {**source.counts, "core_auditevent": source.counts["core_auditevent"] - 1}
    assert restored.counts == expected_counts == manifest["tables"]
    assert sum(restored.counts.values()) == manifest["rows"]
    assert restored.counts["customers_customer"] == 200
    assert restored.balances == source.balances
    assert restored.balance_total == source.balance_total
    assert Decimal(str(restored.balance_total)) > Decimal("1234567.89")
    assert restored.consents == source.consents
    first = small_bank["first"].pk
    assert restored.consents[(first, "marketing", "sms")][:2] == (False, "app")
    assert restored.audit == source.audit[:-1]
    assert len(restored.audit) >= 5
    assert restored.audit[-1][0] == manifest["audit_event"]

    # The restored database backs up in turn (an SQLite file in WAL mode leaves nothing beside
    # the copy), and that backup holds one event more: its own.
    again = tmp_path / "again"
    again.mkdir()
    done = subprocess.run(
        [str(BANKCRM), "backup", str(again / "restored.backup"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    second = json.loads(done.stdout)
    assert second["tables"] == {**manifest["tables"], "core_auditevent": len(restored.audit) + 1}
    assert sorted(p.name for p in again.iterdir()) == [
        "restored.backup",
        "restored.backup.manifest.json",
    ]


def test_backup_records_itself_in_the_trail_and_its_manifest_describes_the_file(
    small_bank, tmp_path
):
    before = AuditEvent.objects.count()
    path = tmp_path / "nightly.backup"
    manifest = _backup(path)

    started, finished = AuditEvent.objects.filter(object_type="backup").order_by("id")
    assert AuditEvent.objects.count() == before + 2
    assert (started.action, started.purpose, started.changes) == (
        AuditAction.CREATE,
        "backup",
        {"file": "nightly.backup"},
    )
    assert started.pk == manifest["audit_event"]
    assert finished.action == AuditAction.UPDATE
    assert finished.changes == {
        "file": "nightly.backup",
        "sha256": file_sha256(path),
        "tables": len(manifest["tables"]),
        "rows": manifest["rows"],
    }
    assert manifest["engine"] == connection.vendor and manifest["format_version"] == 1
    assert manifest["bytes"] == path.stat().st_size
    assert dt.datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    applied: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied[app] = max(applied.get(app, ""), name)
    assert manifest["migrations"] == applied
    live = source_state().counts
    assert manifest["tables"] == {**live, "core_auditevent": live["core_auditevent"] - 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nightly.backup",
        "nightly.backup.manifest.json",
    ]


# -- refusals -------------------------------------------------------------------------------


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


def _drop_manifest(path: Path) -> None:
    manifest_path_for(path).unlink()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_flip_a_byte, "is corrupted: its SHA-256 does not match the manifest"),
        (_truncate, "bytes instead of"),
        (_drop_manifest, "No manifest next to the backup"),
    ],
)
def test_damaged_backup_is_refused_even_with_force_and_the_database_is_untouched(
    bank, tmp_path, damage, message
):
    path = tmp_path / "bank.backup"
    _backup(path)
    bank.mine.delete()  # the database now differs from the backup
    damage(path)
    before = source_state()

    with pytest.raises(CommandError, match=message) as caught:
        call_command("restore", str(path), "--force", stdout=StringIO())

    assert "Nothing was restored" in str(caught.value) or damage is _drop_manifest
    assert source_state() == before


def test_corrupted_backup_leaves_a_fresh_database_empty(bank, tmp_path, fresh_database):
    target, env = fresh_database
    path = tmp_path / "bank.backup"
    _backup(path)
    _flip_a_byte(path)

    done = _restore(env, path)

    assert done.returncode != 0
    assert "is corrupted" in done.stderr
    conn = _connect(target)
    try:
        assert _tables(conn) == []
    finally:
        conn.close()


def test_restore_into_a_database_with_customers_is_refused_without_force_then_replaces_it(
    bank, tmp_path
):
    path = tmp_path / "bank.backup"
    manifest = _backup(path)
    backed_up = source_state()
    account = AccountFactory(customer=bank.mine, balance=Decimal("500.00"))
    later = CustomerFactory(branch=bank.beijing, rm=bank.rm)
    changed = source_state()

    with pytest.raises(CommandError, match=r"already holds data \(4 customers, 8 staff users\)"):
        call_command("restore", str(path), stdout=StringIO())
    assert source_state() == changed

    out = StringIO()
    call_command("restore", str(path), "--force", "--json", stdout=out)

    assert json.loads(out.getvalue())["rows"] == manifest["rows"]
    restored = source_state()
    assert restored.counts == manifest["tables"]
    assert restored.balances == backed_up.balances
    assert not Customer.objects.filter(pk=later.pk).exists()
    assert not Account.objects.filter(pk=account.pk).exists()
    # Identity counters came back too: new rows do not collide with restored ones.
    newer = CustomerFactory(branch=bank.beijing, rm=bank.rm)
    assert newer.pk > bank.far.pk


def test_restore_whose_row_counts_differ_from_the_manifest_fails_loudly(bank, tmp_path):
    path = tmp_path / "bank.backup"
    _backup(path)
    manifest_file = manifest_path_for(path)
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    tables = {**manifest["tables"], "customers_customer": 4, "banking_gone": 1}
    manifest_file.write_text(json.dumps({**manifest, "tables": tables}), encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("restore", str(path), "--force", stdout=StringIO())

    message = str(caught.value)
    assert "does not match the backup's manifest" in message
    assert "customers_customer has 3 rows, the manifest 4" in message
    assert "banking_gone is missing (the manifest has 1 rows)" in message
    assert "core_user" not in message


def test_backup_of_another_engine_is_refused(bank, tmp_path):
    path = tmp_path / "bank.backup"
    _backup(path)
    manifest_file = manifest_path_for(path)
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    manifest_file.write_text(json.dumps({**manifest, "engine": other}), encoding="utf-8")

    with pytest.raises(CommandError, match=f"This backup is of a {other} database"):
        call_command("restore", str(path), "--force", stdout=StringIO())


def test_backup_never_overwrites_a_file_or_writes_outside_a_folder(bank, tmp_path):
    existing = tmp_path / "old.backup"
    existing.write_bytes(b"last week's backup")
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(existing), stdout=StringIO())
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "missing" / "x.backup"), stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot write to the folder"):
        call_command("backup", str(existing / "x.backup"), stdout=StringIO())
    with pytest.raises(CommandError, match="is a folder"):
        call_command("backup", str(tmp_path), stdout=StringIO())

    assert existing.read_bytes() == b"last week's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.backup"]
    assert AuditEvent.objects.count() == events


def test_backup_inside_a_transaction_is_refused(bank, tmp_path):
    with (
        transaction.atomic(),
        pytest.raises(CommandError, match="cannot run inside a database transaction"),
    ):
        call_command("backup", str(tmp_path / "x.backup"), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


@on_postgres
def test_backup_without_pg_dump_says_so_and_writes_nothing(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError, match="pg_dump was not found: install the PostgreSQL"):
        call_command("backup", str(tmp_path / "x.backup"), stdout=StringIO())

    assert list(tmp_path.iterdir()) == []
    assert AuditEvent.objects.count() == events


@on_postgres
def test_pg_dump_failing_half_way_leaves_no_backup_file(bank, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    # A pg_dump that writes part of a file, then dies as on a full disk.
    fake.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --file=*) printf PGDMP > "${a#--file=}";; esac; done\n'
        "echo 'pg_dump: error: could not write to output file: No space left on device' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    out_dir = tmp_path / "backups"
    out_dir.mkdir()

    with pytest.raises(CommandError, match="pg_dump failed: .*No space left on device"):
        call_command("backup", str(out_dir / "x.backup"), stdout=StringIO())

    assert list(out_dir.iterdir()) == []


@on_postgres
def test_backup_taken_while_rows_are_written_restores_to_its_manifest(
    small_bank, tmp_path, fresh_database
):
    """The manifest counts the very snapshot pg_dump dumps, not the database a moment later."""
    target, env = fresh_database
    stop = threading.Event()
    written = [0]

    def write_sessions() -> None:
        conn = _connect(connection.settings_dict)
        conn.autocommit = True
        with conn:
            while not stop.is_set():
                conn.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date) "
                    "VALUES (%s, '', now())",
                    (f"drill{written[0]:08d}",),
                )
                written[0] += 1

    writer = threading.Thread(target=write_sessions)
    writer.start()
    try:
        while written[0] < 50:
            time.sleep(0.01)
        at_start = written[0]
        manifest = _backup(tmp_path / "busy.backup")
        at_end = written[0]
    finally:
        stop.set()
        writer.join()

    assert at_start < manifest["tables"]["django_session"] < at_end
    done = _restore(env, tmp_path / "busy.backup")
    assert done.returncode == 0, done.stderr
    assert read_state(target).counts["django_session"] == manifest["tables"]["django_session"]
