"""The audit trail is insert-only and hash-chained: edits, deletions and reordering are detected."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from bankcrm.core import chain
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, AuditEvent, AuditVerification, ChainStatus

POSTGRES = connection.vendor == "postgresql"


def _events(n: int, actor=None) -> list[AuditEvent]:
    return [
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            object_type="customers.customer",
            object_id=str(i),
            customer_id=i,
            changes={"n": i, "名字": "王芳", "amount": "12.50"},
            purpose="customer 360",
        )
        for i in range(1, n + 1)
    ]


@contextlib.contextmanager
def _bypassing_guard():
    """What someone with direct write access to the database could do: triggers off."""
    with connection.cursor() as cur:
        if POSTGRES:
            cur.execute("SET session_replication_role = replica")
        try:
            yield cur
        finally:
            if POSTGRES:
                cur.execute("SET session_replication_role = origin")


def _verify() -> chain.Verification:
    return chain.chain_verify()


@pytest.mark.django_db
def test_sealed_chain_of_new_events_verifies_intact(bank):
    _events(12, actor=bank.rm)
    assert chain.chain_seal() == 12
    seqs = list(AuditEvent.objects.order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(1, 13))
    first = AuditEvent.objects.get(seq=1)
    assert first.prev_hash == chain.GENESIS
    assert AuditEvent.objects.get(seq=2).prev_hash == first.hash
    result = _verify()
    assert result.intact, result.reason
    assert result.checked == 12
    assert result.head_seq == 12
    # A second seal has nothing to do; new events continue the chain.
    assert chain.chain_seal() == 0
    _events(3)
    assert chain.chain_seal() == 3
    assert _verify().checked == 15


@pytest.mark.django_db
def test_an_edited_event_is_named_as_the_first_broken_one(bank):
    events = _events(10, actor=bank.rm)
    chain.chain_seal()
    target = events[6]
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"UPDATE {table} SET purpose = 'nothing to see' WHERE id = %s", [target.pk])
    result = _verify()
    assert not result.intact
    assert result.broken_event_id == target.pk
    assert result.broken_seq == 7
    assert result.checked == 6
    assert "changed" in result.reason


@pytest.mark.django_db
def test_an_edited_change_record_is_detected(bank):
    events = _events(5)
    chain.chain_seal()
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(
            f"UPDATE {table} SET changes = %s WHERE id = %s",
            [json.dumps({"n": 999}), events[2].pk],
        )
    assert _verify().broken_event_id == events[2].pk


@pytest.mark.django_db
def test_a_deleted_event_leaves_a_gap_that_is_reported(bank):
    events = _events(8)
    chain.chain_seal()
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [events[3].pk])
    result = _verify()
    assert not result.intact
    assert result.broken_seq == 5  # the event after the hole
    assert result.broken_event_id == events[4].pk
    assert "missing" in result.reason


@pytest.mark.django_db
def test_swapping_two_events_order_is_detected(bank):
    events = _events(6)
    chain.chain_seal()
    a = AuditEvent.objects.get(pk=events[1].pk)
    b = AuditEvent.objects.get(pk=events[4].pk)
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"UPDATE {table} SET seq = NULL WHERE id IN (%s, %s)", [a.pk, b.pk])
        cur.execute(f"UPDATE {table} SET seq = %s WHERE id = %s", [b.seq, a.pk])
        cur.execute(f"UPDATE {table} SET seq = %s WHERE id = %s", [a.seq, b.pk])
    result = _verify()
    assert not result.intact
    assert result.broken_seq == a.seq


@pytest.mark.django_db
def test_events_deleted_from_the_end_are_caught_by_the_earlier_check(bank):
    events = _events(6)
    chain.chain_seal()
    chain.verification_record(result=_verify(), actor=None)
    chain.chain_seal()  # the check's own audit event
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id >= %s", [events[4].pk])
    result = _verify()
    assert not result.intact
    assert "end" in result.reason


@pytest.mark.django_db
def test_the_command_reports_intact_then_broken_with_the_event(bank):
    events = _events(4)
    out = io.StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["intact"] is True
    assert report["checked"] == 4  # the command seals first
    assert AuditVerification.objects.get().status == ChainStatus.INTACT
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"UPDATE {table} SET actor_username = 'x' WHERE id = %s", [events[0].pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="broken at position 1"):
        call_command("audit", "verify", stdout=out)
    assert f"event {events[0].pk}" in out.getvalue()
    assert "BROKEN" in out.getvalue()


@pytest.mark.django_db
def test_events_are_sealed_when_their_transaction_commits(bank, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = audit_record(actor=bank.rm, action=AuditAction.LOGIN, obj=bank.rm)
        assert AuditEvent.objects.get(pk=event.pk).seq is None  # not before the commit
    event.refresh_from_db()
    assert event.seq == 1
    assert len(event.hash) == 64


@pytest.mark.django_db
def test_rolled_back_events_leave_no_trace_in_the_chain(bank):
    _events(2)
    with contextlib.suppress(RuntimeError), transaction.atomic():
        _events(3)
        raise RuntimeError
    assert chain.chain_seal() == 2
    assert _verify().intact


@pytest.mark.django_db
def test_export_writes_the_chain_columns_and_is_itself_audited(bank):
    _events(3, actor=bank.compliance)
    chain.chain_seal()
    out = io.StringIO()
    call_command("audit", "export", "-", "--format", "jsonl", "--customer", "2", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert [r["customer_id"] for r in lines] == [2]
    assert len(lines[0]["hash"]) == 64
    export = AuditEvent.objects.filter(action=AuditAction.EXPORT).get()
    assert export.changes["events"] == 1
    assert export.customer_id == 2


@pytest.mark.skipif(not POSTGRES, reason="the insert-only trigger is PostgreSQL's")
@pytest.mark.django_db
def test_postgres_refuses_update_delete_and_truncate_of_audit_events(bank):
    (event,) = _events(1)
    table = AuditEvent._meta.db_table
    # Before its seal, only the seal columns may be set.
    with pytest.raises(DatabaseError, match="only the chain seal"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(purpose="edited")
    chain.chain_seal()
    for statement in (
        f"UPDATE {table} SET purpose = 'edited' WHERE id = {event.pk}",
        f"UPDATE {table} SET hash = '' WHERE id = {event.pk}",
        f"DELETE FROM {table} WHERE id = {event.pk}",
    ):
        with (
            pytest.raises(DatabaseError, match="refused"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement)
    with (
        pytest.raises(DatabaseError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks in the way
        cur.execute("SET LOCAL bankcrm.allow_truncate = 'off'")
        cur.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.get(pk=event.pk).purpose == "customer 360"
    assert _verify().intact


@pytest.mark.django_db
def test_the_app_cannot_delete_staff_with_a_history(bank):
    audit_record(actor=bank.rm2, action=AuditAction.LOGIN, obj=bank.rm2)
    with pytest.raises(ProtectedError):
        bank.rm2.delete()


def _age(events, days: int) -> None:
    """Move events back in time, as if written ``days`` ago (before they are sealed)."""
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(
            f"UPDATE {table} SET at = %s WHERE id IN ({', '.join(str(e.pk) for e in events)})",
            [dt.datetime.now(dt.UTC) - dt.timedelta(days=days)],
        )


@pytest.mark.django_db
def test_purge_archives_and_removes_only_events_past_retention_and_the_chain_still_verifies(
    bank, tmp_path, settings
):
    settings.BANKCRM_AUDIT_RETENTION_DAYS = 200
    old = _events(4)
    _age(old, 400)
    recent = _events(3)
    chain.chain_seal()
    archive = tmp_path / "audit-2025.jsonl"
    purge = chain.audit_purge(
        before=dt.date.today() - dt.timedelta(days=300), archive=archive, actor=None
    )
    assert purge is not None and purge.removed == 4
    assert purge.first_kept_seq == 5
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in recent]).count() == 3
    archived = [json.loads(line) for line in archive.read_text().splitlines()]
    assert [a["id"] for a in archived] == [e.pk for e in old]
    assert purge.archive_sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    chain.chain_seal()
    result = chain.chain_verify()
    assert result.intact, result.reason
    assert result.checked == 3 + 1  # the recent events and the purge's own event
    # Anything else removed is still caught.
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [recent[0].pk])
    assert not chain.chain_verify().intact


@pytest.mark.django_db
def test_purge_refuses_the_retention_period_a_short_setting_and_a_broken_chain(
    bank, tmp_path, settings
):
    settings.BANKCRM_AUDIT_RETENTION_DAYS = 365
    events = _events(2)
    chain.chain_seal()
    with pytest.raises(chain.PurgeRefused, match="kept 365 days"):
        chain.audit_purge(before=dt.date.today(), archive=tmp_path / "a.jsonl", actor=None)
    settings.BANKCRM_AUDIT_RETENTION_DAYS = 30
    with pytest.raises(chain.PurgeRefused, match="at least 183 days"):
        chain.audit_purge(before=dt.date(2000, 1, 1), archive=tmp_path / "a.jsonl", actor=None)
    settings.BANKCRM_AUDIT_RETENTION_DAYS = 365
    table = AuditEvent._meta.db_table
    with _bypassing_guard() as cur:
        cur.execute(f"UPDATE {table} SET purpose = 'x' WHERE id = %s", [events[0].pk])
    with pytest.raises(chain.PurgeRefused, match="broken"):
        chain.audit_purge(before=dt.date(2000, 1, 1), archive=tmp_path / "a.jsonl", actor=None)
    assert AuditEvent.objects.count() == 2


@pytest.mark.skipif(not POSTGRES, reason="the insert-only trigger is PostgreSQL's")
@pytest.mark.django_db
def test_postgres_refuses_a_purge_of_events_younger_than_six_months(bank):
    (event,) = _events(1)
    table = AuditEvent._meta.db_table
    with (
        pytest.raises(DatabaseError, match="DELETE of event"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        # Even naming a cut-off in the future: the trigger keeps 183 days whatever it is told.
        cur.execute("SELECT set_config('bankcrm.audit_purge_before', '2999-01-01', true)")
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()
