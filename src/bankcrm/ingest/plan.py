"""What an import will do with a file: which file column feeds which column, and how its cells
are read (from the kind, the header and the mapping)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from bankcrm.ingest import parsing
from bankcrm.ingest.mapping import Mapping
from bankcrm.ingest.reading import FileError
from bankcrm.ingest.specs import (
    BOOL,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    INT,
    MONTH,
    Column,
    Kind,
)


@dataclass
class Options:
    dry_run: bool = False
    max_errors: int = 0
    encoding: str = "auto"
    mapping: Mapping | None = None


@dataclass
class Plan:
    kind: Kind
    columns: list[Column]  # file columns present (from the header or a constant), stage order
    sources: list[int]  # index into the row's cells, or -1 for a constant
    constants: list[Any]
    parsers: list[Callable[[Any], Any]]
    stage_names: list[str]  # stage column per file column, then derived columns
    derived: list[str]
    present: frozenset[str]  # target columns the file sets
    ignored: list[str]
    width: int
    empties: list[Any]  # what an empty cell stores, per column
    mapping: Mapping | None = None


def model_field(model: type[models.Model], attname: str) -> models.Field[Any, Any]:
    for f in model._meta.concrete_fields:
        if f.attname == attname or f.name == attname:
            return f
    raise KeyError(f"{model._meta.label} has no column {attname}")


def _norm(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_")


def header_names(kind: Kind) -> dict[str, str]:
    """Every accepted header (English name, target name, Chinese aliases) → column name."""
    names: dict[str, str] = {}
    for col in kind.columns:
        names[_norm(col.name)] = col.name
        names[_norm(col.attname)] = col.name
        for alias in col.zh:
            names[_norm(alias)] = col.name
    return names


def make_plan(kind: Kind, header: Sequence[str], mapping: Mapping | None) -> Plan:
    names = header_names(kind)
    found, ignored = _match_header(kind, header, names, mapping)
    constants = _mapped_constants(kind, names, mapping)
    _require_columns(kind, found, constants)
    columns = [c for c in kind.columns if c.name in found or c.name in constants]
    stage_names, derived, present = _stage_layout(kind, columns)
    return Plan(
        kind=kind,
        columns=columns,
        sources=[found.get(c.name, -1) for c in columns],
        constants=[constants.get(c.name) for c in columns],
        parsers=[_parser(c, mapping) for c in columns],
        stage_names=stage_names,
        derived=derived,
        present=present,
        ignored=ignored,
        width=len(header),
        empties=[_empty_value(kind, c) for c in columns],
        mapping=mapping,
    )


def _match_header(
    kind: Kind, header: Sequence[str], names: dict[str, str], mapping: Mapping | None
) -> tuple[dict[str, int], list[str]]:
    """The index of each known column in the header (after the mapping's renames); the
    header's other columns, ignored."""
    renames = {_norm(k): v for k, v in (mapping.columns if mapping else {}).items()}
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        target = renames.get(_norm(raw), raw)
        name = names.get(_norm(target))
        if name is None:
            if _norm(raw) in renames:
                raise FileError(
                    _(
                        "The mapping sends column “%(column)s” to “%(target)s”, "
                        "which %(kind)s files do not have."
                    )
                    % {"column": raw, "target": target, "kind": kind.name},
                    line=1,
                )
            ignored.append(raw)
            continue
        if name in found:
            raise FileError(
                _("Two columns of the header are both “%(column)s”.") % {"column": name}, line=1
            )
        found[name] = index
    return found, ignored


def _mapped_constants(kind: Kind, names: dict[str, str], mapping: Mapping | None) -> dict[str, Any]:
    """The mapping's constant values, by column name."""
    constants = dict(mapping.constants) if mapping else {}
    for cname in constants:
        if _norm(cname) not in names:
            raise FileError(
                _("The mapping sets a constant for “%(column)s”, which %(kind)s files do not have.")
                % {"column": cname, "kind": kind.name}
            )
    return {names[_norm(k)]: v for k, v in constants.items()}


def _require_columns(kind: Kind, found: dict[str, int], constants: dict[str, Any]) -> None:
    missing = [
        c.name
        for c in kind.columns
        if c.required and c.name not in found and c.name not in constants
    ]
    if missing:
        raise FileError(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)},
            line=1,
        )


def _stage_layout(kind: Kind, columns: list[Column]) -> tuple[list[str], list[str], frozenset[str]]:
    """The stage's columns (one per file column, then the derived ones), the derived columns,
    and the target columns the file sets."""
    present: set[str] = set()
    stage_names: list[str] = []
    for col in columns:
        if col.ref is not None:
            stage_names.append(f"ref_{col.name}")
            present.update(col.ref.outputs)
        else:
            stage_names.append(col.attname)
            present.add(col.attname)
    derived = [t for t, src in kind.derived.items() if src in {c.name for c in columns}]
    derived = [t for t in derived if t not in stage_names]
    present.update(derived)
    return stage_names + derived, derived, frozenset(present)


def _empty_value(kind: Kind, col: Column) -> Any:
    """An empty cell: NULL where the column allows it, else the field's default or ''."""
    if col.ref is not None:
        return None
    f = model_field(kind.model, col.attname)
    if f.null:
        return None
    if f.has_default():
        return f.get_default()
    if isinstance(f, models.CharField | models.TextField):
        return ""
    return None


def _parser(col: Column, mapping: Mapping | None) -> Callable[[Any], Any]:
    fmt = (mapping.date_format if mapping else "") or None
    translations = dict(mapping.values.get(col.name, {})) if mapping else {}
    if col.dtype == CHOICE:
        assert col.choices is not None
        return parsing.choice_parser(col.choices.choices, {**dict(col.codes), **translations})
    base = _typed_parser(col, fmt)
    if not translations:
        return base
    return _translating(base, translations)


def _typed_parser(col: Column, fmt: str | None) -> Callable[[Any], Any]:
    """The parser of a column's type (choices aside)."""
    if col.dtype == DATE:
        return lambda v: parsing.parse_date(v, fmt)
    if col.dtype == DATETIME:
        return functools.partial(parsing.parse_datetime, fmt=fmt, zone=parsing.local_zone())
    if col.dtype == MONTH:
        return lambda v: parsing.parse_month(v, fmt)
    if col.dtype == DECIMAL:
        return parsing.decimal_parser(
            places=col.places, max_digits=col.max_digits, signed=col.signed
        )
    if col.dtype == INT:
        return parsing.parse_int
    if col.dtype == BOOL:
        return parsing.parse_bool
    return _text_parser(col.max_length)


def _text_parser(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = value.strip() if isinstance(value, str) else parsing.clean_text(value)
        if "\x00" in text:
            raise parsing.CellError(_("The value contains a NUL character."))
        if limit and len(text) > limit:
            raise parsing.CellError(
                _("“%(value)s” is longer than %(limit)d characters.")
                % {"value": text[:40], "limit": limit}
            )
        return text

    return parse


def _translating(base: Callable[[Any], Any], translations: dict[str, Any]) -> Callable[[Any], Any]:
    """``base`` after the mapping's value translations (matched without case or spaces)."""
    lowered = {k.strip().lower(): v for k, v in translations.items()}

    def translated(value: Any) -> Any:
        if isinstance(value, str):
            value = lowered.get(value.strip().lower(), value)
        return base(value)

    return translated
