"""Exporting audit events for an auditor (CSV or JSON lines); every export is itself audited."""

from __future__ import annotations

import datetime as dt
import json
from typing import IO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bankcrm.core import csvfile
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, AuditEvent, User
from bankcrm.core.selectors import audit_event_list

EXPORT_FORMATS = ("csv", "jsonl")
COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "customer_id",
    "ip_address",
    "channel",
    "purpose",
    "changes",
    "prev_hash",
    "hash",
)


def write_events(out: IO[str], events: QuerySet[AuditEvent], *, fmt: str) -> int:
    """Write ``events`` in their order as CSV or JSON lines; returns how many."""
    rows = events.values_list(*COLUMNS).iterator(chunk_size=5000)
    n = 0
    writer = csvfile.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(COLUMNS)
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["at"] = record["at"].isoformat()
        if writer is not None:
            record["changes"] = json.dumps(record["changes"], ensure_ascii=False, sort_keys=True)
            writer.writerow([record[c] for c in COLUMNS])
        else:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def audit_export(
    out: IO[str],
    *,
    fmt: str,
    actor: User | None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    customer: int | None = None,
    action: str | None = None,
    by: str | None = None,
) -> int:
    """Write the matching events, oldest first, with their chain columns; returns the count."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(_("Unknown export format: %s") % fmt)
    qs = audit_event_list(since=since, until=until, customer=customer, action=action, actor=by)
    n = write_events(out, qs.order_by("id"), fmt=fmt)
    filters = {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "customer": customer,
        "action": action,
        "by": by,
        "format": fmt,
        "events": n,
    }
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="core.auditevent",
        customer_id=customer,
        changes={k: v for k, v in filters.items() if v is not None},
        purpose="audit export",
    )
    return n
