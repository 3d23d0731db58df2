"""The one CSV writer for every CSV the project writes for people to open (the access report,
the audit export, the import error report): cells that a spreadsheet would run as a formula
are neutralised (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# A cell starting with one of these is read as a formula (or a DDE call) by Excel, LibreOffice
# and Google Sheets; tab and carriage return hide a leading one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run; numbers
    (a negative balance) are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`neutralise`."""

    def __init__(self, out: SupportsWrite[str], **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: SupportsWrite[str], **kwargs: Any) -> SafeWriter:
    return SafeWriter(out, **kwargs)
