"""The audit trail's hash chain: sealing new events in order, and verifying the whole chain.

Each event, once sealed, stores its position ``seq``, the previous event's hash and its own
hash: HMAC-SHA256 (key from ``BANKCRM_AUDIT_KEY``) over the previous hash and every column
of the event. Editing an event changes its hash; deleting one leaves a gap in the positions;
swapping two breaks the links. The key keeps someone with write access to the database alone
from recomputing a consistent chain after an edit.

Events are written inside the transaction of the change they record and sealed right after it
commits (``transaction.on_commit``), under a lock held only for the seal itself, so a long
import never blocks the audit writes of everyone else. A seal that does not happen (a killed
process) is done by the next one: every seal chains all committed unsealed events, oldest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bankcrm.core.models import User

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bankcrm.core.models import AuditEvent, AuditPurge, AuditVerification, ChainStatus

log = logging.getLogger(__name__)

GENESIS = "0" * 64
MIN_RETENTION_DAYS = 183  # also enforced by the database trigger on PostgreSQL
BATCH = 5_000
LOCK_KEY = 0x42414E4B  # pg_advisory_xact_lock key for sealing ("BANK")
# The columns a hash covers, in this order.
CONTENT = (
    "id",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "customer_id",
    "ip_address",
    "channel",
    "purpose",
    "changes",
)


def _key() -> bytes:
    configured = getattr(settings, "BANKCRM_AUDIT_KEY", "")
    if configured:
        return str(configured).encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"bankcrm audit chain", hashlib.sha256).digest()


def hasher(key: bytes) -> Callable[[int, str, Sequence[Any]], str]:
    """``hash(seq, prev_hash, row)`` for one event, ``row`` as ``_select`` reads it: every
    column as the database's own text (the time in UTC, the JSON as stored), so the hash does
    not depend on how a driver decodes values."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def digest(seq: int, prev_hash: str, row: Sequence[Any]) -> str:
        h = base.copy()
        h.update(dumps([seq, prev_hash, *row]).encode())
        return h.hexdigest()

    return digest


def event_hash(key: bytes, seq: int, prev_hash: str, row: Sequence[Any]) -> str:
    """The hash of one event at position ``seq`` after ``prev_hash``."""
    return hasher(key)(seq, prev_hash, row)


def _select(where: str, order: str, limit: int) -> str:
    quote = connection.ops.quote_name
    cols = [quote(c) for c in (*CONTENT, "seq", "prev_hash", "hash")]
    at, changes = CONTENT.index("at"), CONTENT.index("changes")
    if connection.vendor == "postgresql":
        cols[at] = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        cols[changes] = "changes::text"
    else:
        cols[at] = "CAST(at AS TEXT)"
        cols[changes] = "CAST(changes AS TEXT)"
    table = quote(AuditEvent._meta.db_table)
    return (
        f"SELECT {', '.join(cols)} FROM {table} WHERE {where} "  # noqa: S608
        f"ORDER BY {order} LIMIT {int(limit)}"
    )


def _rows(cursor: Any) -> list[tuple[Any, ...]]:
    return list(cursor.fetchall())


def chain_seal(*, progress: Callable[[int], None] | None = None) -> int:
    """Chain every committed event not chained yet, in id order. Returns how many were sealed."""
    digest_of = hasher(_key())
    sealed = 0
    after = 0  # keyset: the dead rows a batch leaves in the index are not walked again
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cur.execute(
                f"SELECT seq, hash FROM {table} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608
            )
            head = cur.fetchone()
            seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
            cur.execute(_select(f"seq IS NULL AND id > {int(after)}", "id", BATCH))
            rows = _rows(cur)
            if not rows:
                return sealed
            after = int(rows[-1][0])
            updates = []
            for row in rows:
                seq += 1
                digest = digest_of(seq, prev, row[: len(CONTENT)])
                updates.append((row[0], seq, prev, digest))
                prev = digest
            _write_seals(cur, table, updates)
        sealed += len(rows)
        if progress is not None:
            progress(sealed)


def _write_seals(cur: Any, table: str, updates: list[tuple[int, int, str, str]]) -> None:
    if connection.vendor == "postgresql":
        ids, seqs, prevs, hashes = (list(c) for c in zip(*updates, strict=True))
        cur.execute(
            f"UPDATE {table} AS t SET seq = v.seq, prev_hash = v.prev, hash = v.hash "  # noqa: S608
            "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS seq, "
            "unnest(%s::text[]) AS prev, unnest(%s::text[]) AS hash) AS v "
            "WHERE t.id = v.id AND t.seq IS NULL",
            [ids, seqs, prevs, hashes],
        )
    else:
        cur.executemany(
            f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s AND seq IS NULL",  # noqa: S608
            [(s, p, h, i) for i, s, p, h in updates],
        )


def seal_after_commit() -> None:
    """Queue a seal for when the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(_seal_quietly)


def _seal_quietly() -> None:
    # The change itself has committed: a failed seal must not turn it into an error page. The
    # next seal chains what this one left.
    try:
        chain_seal()
    except Exception:
        log.warning("audit chain seal deferred", exc_info=True)


@dataclass
class Verification:
    intact: bool
    checked: int
    unsealed: int
    head_seq: int | None
    head_hash: str
    broken_seq: int | None = None
    broken_event_id: int | None = None
    reason: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "checked": self.checked,
            "unsealed": self.unsealed,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "broken_event_id": self.broken_event_id,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


def _sealed_rows() -> Iterator[tuple[Any, ...]]:
    last = 0
    with connection.cursor() as cur:
        while True:
            cur.execute(_select(f"seq > {int(last)}", "seq", BATCH * 4))
            rows = _rows(cur)
            if not rows:
                return
            yield from rows
            last = rows[-1][len(CONTENT)]


def chain_verify(*, progress: Callable[[int], None] | None = None) -> Verification:
    """Walk the chain from the first position; stop at the first event that does not hold."""
    started = time.monotonic()
    digest_of = hasher(_key())
    n = len(CONTENT)
    expected, prev = _chain_start()
    checked = 0
    result: Verification | None = None
    for row in _sealed_rows():
        seq, prev_hash, digest = row[n], row[n + 1], row[n + 2]
        reason = ""
        if seq != expected:
            reason = _(
                "Positions %(first)d to %(last)d are missing: events were deleted before this one."
            ) % {"first": expected, "last": seq - 1}
        elif prev_hash != prev:
            reason = _(
                "Its link to the previous event does not match: events were removed or reordered."
            )
        elif digest_of(seq, prev_hash, row[:n]) != digest:
            reason = _("Its content does not match its hash: the event was changed.")
        if reason:
            result = Verification(
                intact=False,
                checked=checked,
                unsealed=0,
                head_seq=seq,
                head_hash=str(digest),
                broken_seq=seq,
                broken_event_id=int(row[0]),
                reason=reason,
            )
            break
        checked += 1
        expected, prev = seq + 1, str(digest)
        if progress is not None and checked % BATCH == 0:
            progress(checked)
    if result is None:
        result = Verification(
            intact=True,
            checked=checked,
            unsealed=0,
            head_seq=expected - 1 if checked else None,
            head_hash=prev if checked else "",
        )
        _check_earlier_head(result)
    result.unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    result.seconds = time.monotonic() - started
    return result


def _chain_start() -> tuple[int, str]:
    """Where the chain begins: position 1, or the first position a purge kept (after the
    events it archived and removed), with the hash that comes before it."""
    purge = AuditPurge.objects.order_by("-first_kept_seq").first()
    if purge is None:
        return 1, GENESIS
    return purge.first_kept_seq, purge.first_kept_prev_hash


def _check_earlier_head(result: Verification) -> None:
    """The head an earlier check saw must still be there, with the same hash."""
    earlier = (
        AuditVerification.objects.filter(status=ChainStatus.INTACT, head_seq__isnull=False)
        .order_by("-head_seq")
        .first()
    )
    if earlier is None or earlier.head_seq is None:
        return
    if earlier.head_seq < _chain_start()[0]:  # archived and removed by a purge since
        return
    still = AuditEvent.objects.filter(seq=earlier.head_seq).values_list("id", "hash").first()
    if still is not None and still[1] == earlier.head_hash:
        return
    result.intact = False
    result.broken_seq = earlier.head_seq
    result.broken_event_id = still[0] if still else None
    result.reason = _(
        "The check of %(when)s ended at position %(seq)d, which is no longer in the chain as it "
        "was: events were deleted from its end."
    ) % {"when": f"{earlier.at:%Y-%m-%d %H:%M}", "seq": earlier.head_seq}


def verification_record(*, result: Verification, actor: User | None) -> AuditVerification:
    """Keep a check's result (its head anchors the next check)."""
    from bankcrm.core.audit import audit_record
    from bankcrm.core.models import AuditAction

    with transaction.atomic():
        record = AuditVerification.objects.create(
            actor_username=getattr(actor, "username", "") or "",
            status=ChainStatus.INTACT if result.intact else ChainStatus.BROKEN,
            checked=result.checked,
            unsealed=result.unsealed,
            head_seq=result.head_seq if result.intact else None,
            head_hash=result.head_hash if result.intact else "",
            broken_seq=result.broken_seq,
            broken_event_id=result.broken_event_id,
            reason=result.reason,
            seconds=result.seconds,
        )
        audit_record(
            actor=actor,
            action=AuditAction.VERIFY,
            obj=record,
            changes={"status": record.status, "checked": record.checked},
            purpose="audit chain verification",
        )
    return record


class PurgeRefused(Exception):
    """A purge that would break the retention rule or hide a broken chain."""


def _purge_allowed(*, before: dt.date, archive: Path, now: dt.datetime) -> None:
    """Refuse a purge that the retention setting, the cut-off or the archive path forbid."""
    from django.utils import timezone

    retention = int(settings.BANKCRM_AUDIT_RETENTION_DAYS)
    if retention < MIN_RETENTION_DAYS:
        raise PurgeRefused(
            _(
                "BANKCRM_AUDIT_RETENTION_DAYS is %(days)d: audit events are kept at least "
                "%(min)d days."
            )
            % {"days": retention, "min": MIN_RETENTION_DAYS}
        )
    latest = timezone.localdate(now) - dt.timedelta(days=retention)
    if before > latest:
        raise PurgeRefused(
            _("Events are kept %(days)d days: the latest cut-off allowed today is %(date)s.")
            % {"days": retention, "date": latest.isoformat()}
        )
    if archive.exists():
        raise PurgeRefused(
            _("%(path)s already exists: choose another archive file.") % {"path": archive}
        )


def _archive_write(archive: Path, events: QuerySet[AuditEvent]) -> tuple[int, str]:
    """Write ``events`` as JSON lines to ``archive`` (through a synced temporary file renamed
    at the end); returns how many were written and the file's SHA-256."""
    from bankcrm.core.audit_export import write_events

    tmp = archive.with_name(archive.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        written = write_events(out, events.order_by("seq"), fmt="jsonl")
        out.flush()
        os.fsync(out.fileno())
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    tmp.replace(archive)
    return written, digest


def audit_purge(
    *, before: dt.date, archive: Path, actor: User | None, now: dt.datetime | None = None
) -> AuditPurge | None:
    """Archive, then remove, the oldest events: those before ``before``, never any younger than
    BANKCRM_AUDIT_RETENTION_DAYS. Only an intact chain is purged, and only its head: the events
    from position 1 (or the last purge) up to the last one before the cut-off, so the chain
    that remains starts where the archive ends. Returns None when nothing is old enough."""
    from django.utils import timezone

    from bankcrm.core.audit import audit_record
    from bankcrm.core.models import AuditAction

    now = now or timezone.now()
    _purge_allowed(before=before, archive=archive, now=now)
    chain_seal()
    check = chain_verify()
    if not check.intact:
        raise PurgeRefused(
            _(
                "The audit chain is broken at position %(seq)s: nothing is purged from a "
                "broken chain."
            )
            % {"seq": check.broken_seq}
        )
    cutoff = dt.datetime.combine(before, dt.time(), tzinfo=timezone.get_current_timezone())
    start, _prev = _chain_start()
    young = AuditEvent.objects.filter(seq__gte=start, at__gte=cutoff).order_by("seq").first()
    last = (young.seq - 1) if young is not None and young.seq is not None else check.head_seq
    if last is None or last < start:
        return None
    doomed = AuditEvent.objects.filter(seq__gte=start, seq__lte=last)
    kept = AuditEvent.objects.filter(seq=last + 1).values_list("prev_hash", flat=True).first()
    last_hash = AuditEvent.objects.filter(seq=last).values_list("hash", flat=True).get()
    removed, digest = _archive_write(archive, doomed)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT set_config('bankcrm.audit_purge_before', %s, true)",
                    [cutoff.isoformat()],
                )
        doomed.delete()
        purge = AuditPurge.objects.create(
            actor_username=getattr(actor, "username", "") or "",
            before=cutoff,
            removed=removed,
            first_kept_seq=last + 1,
            first_kept_prev_hash=kept or last_hash,
            archive=str(archive),
            archive_sha256=digest,
        )
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=purge,
            changes={
                "before": cutoff.isoformat(),
                "removed": removed,
                "positions": [start, last],
                "archive_sha256": digest,
            },
            purpose="audit retention",
        )
    return purge
