"""Mapping files: how a file from another system maps onto an import kind.

A mapping is a small TOML file::

    kind = "customers"            # optional: refuse the mapping for another kind
    encoding = "gb18030"          # optional: otherwise detected
    delimiter = ";"               # optional: otherwise detected
    date_format = "%d.%m.%Y"      # optional: for every date column

    [columns]                     # the file's header → our column
    CUST_ID = "customer_no"
    CUST_NAME = "name_zh"
    SEX = "gender"

    [values.gender]               # the file's codes → ours, per column
    M = "male"
    F = "female"

    [constants]                   # a value for every row, for a column the file lacks
    branch = "BJ001"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _


class MappingError(Exception):
    pass


@dataclass(frozen=True)
class Mapping:
    name: str = ""
    kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    date_format: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "date_format": self.date_format,
            "columns": self.columns,
            "values": self.values,
            "constants": self.constants,
        }


def _strings(data: Any, where: str) -> dict[str, str]:
    if not isinstance(data, dict):
        raise MappingError(_("[%s] must be a table of names to values.") % where)
    return {str(k): str(v) for k, v in data.items()}


def mapping_from_dict(data: dict[str, Any], *, name: str = "") -> Mapping:
    known = {"kind", "encoding", "delimiter", "date_format", "columns", "values", "constants"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(_("Unknown setting in the mapping: %s") % ", ".join(unknown))
    values_raw = data.get("values", {})
    if not isinstance(values_raw, dict):
        raise MappingError(_("[values] must hold one table per column."))
    delimiter = str(data.get("delimiter", ""))
    if delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    return Mapping(
        name=name,
        kind=str(data.get("kind", "")),
        encoding=str(data.get("encoding", "")),
        delimiter=delimiter,
        date_format=str(data.get("date_format", "")),
        columns=_strings(data.get("columns", {}), "columns"),
        values={str(c): _strings(v, f"values.{c}") for c, v in values_raw.items()},
        constants=_strings(data.get("constants", {}), "constants"),
    )


def load_mapping(path: Path) -> Mapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(_("The mapping file cannot be read: %s") % exc) from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(_("The mapping file is not valid TOML: %s") % exc) from None
    except RecursionError:  # tables or arrays nested thousands deep
        raise MappingError(_("The mapping file is nested too deeply to be a mapping.")) from None
    return mapping_from_dict(data, name=path.name)
