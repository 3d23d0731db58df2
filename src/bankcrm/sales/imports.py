"""CSV imports of leads and of RM targets: all-or-nothing, each refusal reported as line,
column, value and why (`ingest.outcome.RowError`, an ID number or mobile masked)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bankcrm.core.models import Branch, User
from bankcrm.customers.selectors import staff_visible_to
from bankcrm.ingest.outcome import RowError, RowErrors
from bankcrm.sales.models import Lead, LeadSource, RmTarget
from bankcrm.sales.services import TARGET_FIELDS, DuplicateLead, lead_create, target_set

MAX_ROWS = 5000
LEAD_COLUMNS = (
    "name",
    "mobile",
    "id_number",
    "birth_date",
    "email",
    "source",
    "campaign",
    "need",
    "expected_aum",
    "rm",
    "branch",
)
TARGET_COLUMNS = ("rm", "month", *TARGET_FIELDS)


@dataclass
class ImportResult:
    saved: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(data: bytes) -> list[dict[str, str]]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The file is neither UTF-8 nor GB18030 text."))
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()} for r in reader]


def _money(v: str) -> Decimal:
    try:
        return Decimal(v.replace(",", "")) if v else Decimal(0)
    except InvalidOperation:
        raise ValueError(_("“%(v)s” is not an amount.") % {"v": v}) from None


def _date(v: str) -> dt.date | None:
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v.replace("/", "-"))
    except ValueError:
        raise ValueError(_("“%(v)s” is not a date (YYYY-MM-DD).") % {"v": v}) from None


def leads_import(*, actor: User, data: bytes) -> ImportResult:
    """Every row a lead (source "import" unless the row says another), after the same checks
    and duplicate search as the form; one refused row and nothing is saved."""
    rows = _rows(data)
    result = ImportResult(rows=len(rows))
    errors = RowErrors(Lead)
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("At most %(n)d rows per file.") % {"n": MAX_ROWS})
    rms = {u.username: u for u in staff_visible_to(actor)}
    branches = {b.code: b for b in Branch.objects.all()}
    try:
        with transaction.atomic():
            for line, row in enumerate(rows, start=2):
                payload = _lead_payload(line, row, rms=rms, branches=branches)
                if isinstance(payload, RowError):
                    errors.add(payload)
                    continue
                refused = _lead_save(actor, line, row, payload)
                for error in refused:
                    errors.add(error)
                result.saved += not refused
            if errors.count:
                raise _Rollback
    except _Rollback:
        result.saved = 0
    result.errors = errors.items
    return result


def _lead_payload(
    line: int, row: dict[str, str], *, rms: dict[str, User], branches: dict[str, Branch]
) -> dict[str, Any] | RowError:
    """A row read into the lead service's fields, or the first cell that cannot be."""
    payload: dict[str, Any] = {"name": row.get("name", ""), "source": LeadSource.IMPORT}
    for col, parse, key in (
        ("birth_date", _date, "birth_date"),
        ("expected_aum", lambda v: _money(v) or None, "expected_aum"),
    ):
        try:
            payload[key] = parse(row.get(col, ""))
        except ValueError as exc:
            return RowError(line, col, row.get(col, ""), str(exc))
    for col in ("mobile", "id_number", "email", "need"):
        payload[col] = row.get(col, "")
    if row.get("campaign"):
        payload["campaign_ref"] = row["campaign"][:60]
    if row.get("source"):
        if row["source"] not in LeadSource.values:
            return RowError(line, "source", row["source"], _("Unknown source."))
        payload["source"] = row["source"]
    if row.get("rm"):
        if row["rm"] not in rms:
            return RowError(line, "rm", row["rm"], _("No RM with this user name in your scope."))
        payload["rm"] = rms[row["rm"]]
    if row.get("branch"):
        if row["branch"] not in branches:
            return RowError(line, "branch", row["branch"], _("Unknown branch code."))
        payload["branch"] = branches[row["branch"]]
    elif "rm" in payload:
        payload["branch"] = payload["rm"].branch
    if not payload["name"]:
        return RowError(line, "name", "", _("A lead needs a name."))
    return payload


def _lead_save(
    actor: User, line: int, row: dict[str, str], payload: dict[str, Any]
) -> list[RowError]:
    """Create the lead (in its own savepoint); the reasons it was refused, if it was."""
    try:
        with transaction.atomic():
            lead_create(actor=actor, data=payload)
    except DuplicateLead as exc:
        what = exc.check
        return [
            RowError(
                line,
                "mobile" if row.get("mobile") else "id_number",
                row.get("mobile") or row.get("id_number", ""),
                _("Already a customer or an open lead (%(n)d found).")
                % {"n": len(what.customers) + what.elsewhere + len(what.leads)},
            )
        ]
    except ValidationError as exc:
        return [
            RowError(line, col, str(row.get(col, "")), "; ".join(messages))
            for col, messages in exc.message_dict.items()
        ]
    except PermissionDenied as exc:
        return [RowError(line, "", "", str(exc))]
    return []


class _Rollback(Exception):
    pass


def targets_import(*, actor: User, data: bytes) -> ImportResult:
    """RM targets, one row per RM and month (rm, month as YYYY-MM, then the figures); a row
    for an RM and month already set replaces it. One refused row and nothing is saved."""
    rows = _rows(data)
    result = ImportResult(rows=len(rows))
    errors = RowErrors(RmTarget)
    rms = {u.username: u for u in staff_visible_to(actor)}
    try:
        with transaction.atomic():
            for line, row in enumerate(rows, start=2):
                rm = rms.get(row.get("rm", ""))
                if rm is None:
                    errors.add(
                        RowError(
                            line,
                            "rm",
                            row.get("rm", ""),
                            _("No RM with this user name in your scope."),
                        )
                    )
                    continue
                try:
                    month = dt.date.fromisoformat((row.get("month", "") + "-01")[:10])
                except ValueError:
                    errors.add(
                        RowError(
                            line, "month", row.get("month", ""), _("Give the month as YYYY-MM.")
                        )
                    )
                    continue
                values: dict[str, Any] = {}
                bad = False
                for col in TARGET_FIELDS:
                    raw = row.get(col, "")
                    try:
                        amount = _money(raw)
                    except ValueError as exc:
                        errors.add(RowError(line, col, raw, str(exc)))
                        bad = True
                        continue
                    if amount < 0:
                        errors.add(RowError(line, col, raw, _("A target cannot be negative.")))
                        bad = True
                        continue
                    values[col] = amount if col in ("aum_growth", "pipeline_won") else int(amount)
                if bad:
                    continue
                target_set(actor=actor, rm=rm, month=month, values=values)
                result.saved += 1
            if errors.count:
                raise _Rollback
    except _Rollback:
        result.saved = 0
    result.errors = errors.items
    return result
