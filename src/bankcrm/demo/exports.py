"""The demo bank through the front door: core-banking export files, loaded by the importer.

`export_demo_bank` writes the generated bank as one CSV file per import kind, the way a core
banking system would export it (natural keys, no database ids). `load_demo_bank` then imports
those files in dependency order with `bankcrm.ingest`, and writes the few tables that are not
core-banking data (RM assignment history, tasks, the hidden ground truth) with their generator
ids translated to the imported rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from bankcrm.banking.models import Account, Product
from bankcrm.core.models import Branch, User
from bankcrm.customers.models import Customer, RelationshipGroup, RmAssignment
from bankcrm.demo.build import bank_exists
from bankcrm.demo.columns import Batch, Cat, Cents
from bankcrm.demo.generators.chunk import iter_bank
from bankcrm.demo.models import CustomerTruth
from bankcrm.demo.plan import (
    PASSWORD_SALT,
    BuildResult,
    DemoBankError,
    DemoConfig,
    demo_logins,
    plan_bank,
)
from bankcrm.demo.writer import TableWriter
from bankcrm.ingest.mapping import load_mapping
from bankcrm.ingest.outcome import Outcome
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS, Kind
from bankcrm.ingest.stage import Progress
from bankcrm.interactions.models import Interaction, Task

# Generated rows of these models go into export files (one per kind).
KIND_OF_MODEL: dict[type[models.Model], str] = {kind.model: name for name, kind in KINDS.items()}
# Not core-banking data: written directly once the imported rows exist.
DIRECT_MODELS: tuple[type[models.Model], ...] = (RmAssignment, CustomerTruth, Task)


def group_code(group_id: int) -> str:
    return f"G{group_id:08d}"


def interaction_id(pk: int) -> str:
    return f"IX{pk:010d}"


def _text(col: Any) -> list[str]:
    """A generator column as the strings an export file holds ('' for NULL)."""
    if isinstance(col, Cat):
        labels = np.asarray([str(v) for v in col.labels], dtype=object)
        return list(labels[col.codes])
    if isinstance(col, Cents):
        return [
            f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}" for v in col.values.tolist()
        ]
    if isinstance(col, np.ndarray):
        if col.dtype == bool:
            return ["1" if v else "0" for v in col.tolist()]
        if np.issubdtype(col.dtype, np.datetime64):
            unit = np.datetime_data(col.dtype)[0]
            text = np.datetime_as_string(col, unit="s" if unit != "D" else "D")
            suffix = "+00:00" if unit != "D" else ""
            return ["" if t == "NaT" else t + suffix for t in text.tolist()]
        return [str(v) for v in col.tolist()]
    return ["" if v is None else str(v) for v in col]


@dataclass
class _Keys:
    """Generator id → natural key, per model, filled as batches go by."""

    by_model: dict[type[models.Model], dict[int, str]] = field(default_factory=dict)

    def learn(self, batch: Batch) -> None:
        ids = batch.columns.get("id")
        if ids is None:
            return
        key = {
            Branch: "code",
            User: "username",
            Product: "code",
            Customer: "customer_no",
            Account: "account_no",
        }.get(batch.model)
        table = self.by_model.setdefault(batch.model, {})
        if key is not None:
            table.update(zip(_ints(ids), _text(batch.columns[key]), strict=True))
        elif batch.model is RelationshipGroup:
            table.update((i, group_code(i)) for i in _ints(ids))

    def names(self, model: type[models.Model], ids: Any) -> list[str]:
        table = self.by_model[model]
        return ["" if i is None or i < 0 else table[i] for i in _ints(ids)]


def _ints(col: Any) -> list[Any]:
    return col.tolist() if isinstance(col, np.ndarray) else list(col)


def _file_columns(kind: Kind, batch: Batch, keys: _Keys) -> tuple[list[str], list[list[str]]]:
    header: list[str] = []
    columns: list[list[str]] = []
    for col in kind.columns:
        if col.ref is not None:
            source = next(iter(col.ref.outputs))
            if source not in batch.columns:
                continue
            values = keys.names(col.ref.model, batch.columns[source])
        elif kind.model is RelationshipGroup and col.name == "code":
            values = [group_code(i) for i in _ints(batch.columns["id"])]
        elif kind.model is Interaction and col.name == "interaction_id":
            values = [interaction_id(i) for i in _ints(batch.columns["id"])]
        elif col.attname in batch.columns:
            values = _text(batch.columns[col.attname])
        else:
            continue
        header.append(col.name)
        columns.append(values)
    return header, columns


@dataclass
class Export:
    config: DemoConfig
    files: dict[str, Path]
    rows: dict[str, int]
    direct: list[Batch]
    keys: _Keys
    password_hash: str
    staff: list[Batch]
    seconds: float = 0.0


class _Files:
    """The open export files, one per import kind, each with its header and row count."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.paths: dict[str, Path] = {}
        self.rows: dict[str, int] = {}
        self.handles: dict[str, Any] = {}

    def write(self, name: str, header: list[str], columns: list[list[str]], n: int) -> None:
        if name not in self.handles:
            self.paths[name] = self.out_dir / f"{name}.csv"
            self.handles[name] = self.paths[name].open("w", encoding="utf-8", newline="")
            csv.writer(self.handles[name]).writerow(header)
            self.rows[name] = 0
        csv.writer(self.handles[name]).writerows(zip(*columns, strict=True))
        self.rows[name] += n

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def export_demo_bank(
    *, config: DemoConfig, out_dir: Path, on_progress: Callable[[int], None] | None = None
) -> Export:
    """Write the bank `config` describes as core-banking export files under `out_dir`."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_bank(config=config, bases={})
    password_hash = make_password(config.password, salt=PASSWORD_SALT)
    keys = _Keys()
    files = _Files(out_dir)
    direct: list[Batch] = []
    staff: list[Batch] = []
    try:
        for done, batches in iter_bank(plan=plan, password_hash=password_hash):
            for batch in batches:
                keys.learn(batch)
                if batch.model in DIRECT_MODELS:
                    direct.append(batch)
                    continue
                if batch.model is User:
                    staff.append(batch)
                name = KIND_OF_MODEL[batch.model]
                header, columns = _file_columns(KINDS[name], batch, keys)
                files.write(name, header, columns, len(batch))
            if on_progress is not None and done:
                on_progress(done)
    finally:
        files.close()
    return Export(
        config=config,
        files={name: files.paths[name] for name in KINDS if name in files.paths},
        rows=files.rows,
        direct=direct,
        keys=keys,
        password_hash=password_hash,
        staff=staff,
        seconds=time.perf_counter() - started,
    )


def _db_ids(model: type[models.Model], key: str, names: Sequence[str]) -> dict[str, int]:
    wanted = sorted(set(names) - {""})
    out: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        out.update(model._default_manager.filter(**{f"{key}__in": chunk}).values_list(key, "pk"))
    return out


def _translate(batch: Batch, keys: _Keys) -> Batch:
    """The batch with generator ids replaced by the imported rows' ids."""
    refs = {
        "customer_id": (Customer, "customer_no"),
        "rm_id": (User, "username"),
        "assignee_id": (User, "username"),
        "created_by_id": (User, "username"),
        "branch_id": (Branch, "code"),
    }
    columns: dict[str, Any] = {}
    for name, col in batch.columns.items():
        if name == "id" and batch.model is not CustomerTruth:
            continue  # the database numbers the rows
        if name in refs:
            model, key = refs[name]
            names = keys.names(model, col)
            ids = _db_ids(model, key, names)
            columns[name] = [ids[n] if n else None for n in names]
        else:
            columns[name] = col
    if batch.model is CustomerTruth:
        names = keys.names(Customer, batch.columns["customer_id"])
        ids = _db_ids(Customer, "customer_no", names)
        columns["customer_id"] = np.array([ids[n] for n in names], dtype=np.int64)
    return Batch(batch.model, columns)


# Called as each file starts importing, with its name and path: the progress to report to.
OnStart = Callable[[str, Path], Progress | None]


def _import_files(
    export: Export,
    on_import: Callable[[str, Outcome], None] | None,
    on_start: OnStart | None = None,
) -> dict[str, int]:
    """Import each export file in dependency order; rows created per table."""
    counts: dict[str, int] = {}
    for name, path in export.files.items():
        progress = on_start(name, path) if on_start is not None else None
        outcome = import_path(KINDS[name], path, channel="demo", progress=progress)
        if on_import is not None:
            on_import(name, outcome)
        if not outcome.landed:
            first = outcome.errors[:3]
            raise DemoBankError(f"The demo's {name} file did not import: {outcome.message} {first}")
        counts[KINDS[name].model._meta.db_table] = outcome.created
    return counts


def _import_card_system(
    export_dir: Path,
    *,
    seed: int,
    on_import: Callable[[str, Outcome], None] | None,
    on_start: OnStart | None = None,
) -> int:
    """Import the card system's customer file through its mapping; rows created."""
    path, mapping_path = write_card_system_customers(export_dir, seed=seed)
    progress = on_start("card customers", path) if on_start is not None else None
    outcome = import_path(
        KINDS["customers"],
        path,
        mapping=load_mapping(mapping_path),
        channel="demo",
        progress=progress,
    )
    if on_import is not None:
        on_import("card customers", outcome)
    if not outcome.landed:
        raise DemoBankError(f"The card system's file did not import: {outcome.message}")
    return outcome.created


def _let_staff_log_in(export: Export) -> None:
    """Staff from an HR file cannot log in; the demo's do, with the demo password."""
    users = {u.username: u for u in User.objects.all()}
    for batch in export.staff:
        names = _text(batch.columns["username"])
        joined = batch.columns["date_joined"]
        admins = batch.columns["is_superuser"]
        for n, when, admin in zip(names, _ints(joined), _ints(admins), strict=True):
            user = users[n]
            user.password = export.password_hash
            user.is_superuser = user.is_staff = bool(admin)
            user.date_joined = _utc(when)
    User.objects.bulk_update(
        users.values(), ["password", "is_superuser", "is_staff", "date_joined"], batch_size=500
    )


def _write_direct(export: Export, counts: dict[str, int]) -> None:
    """The tables that are not core-banking data, with ids translated to the imported rows.

    The generator's assignment history (with its ends) replaces the first assignments the
    customer import opened.
    """
    RmAssignment.objects.all().delete()
    writer = TableWriter("default")
    for batch in export.direct:
        table = batch.model._meta.db_table
        counts[table] = counts.get(table, 0) + writer.write(_translate(batch, export.keys))


def _analyze() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        analysed: list[type[models.Model]] = [k.model for k in KINDS.values()]
        for model in [*analysed, *DIRECT_MODELS]:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def load_demo_bank(
    *,
    config: DemoConfig,
    export_dir: Path,
    on_progress: Callable[[int], None] | None = None,
    on_import: Callable[[str, Outcome], None] | None = None,
    second_source: bool = False,
    on_start: OnStart | None = None,
) -> BuildResult:
    """Export the demo bank to files and import them; the database must hold no customers.

    With ``second_source``, a card system's customer file (its own columns, codes and
    encoding, read through a mapping) adds a few records of customers the bank already has:
    the duplicates a data steward reviews.
    """
    started = time.perf_counter()
    if bank_exists():
        raise DemoBankError("The database already holds customers.")
    export = export_demo_bank(config=config, out_dir=export_dir, on_progress=on_progress)
    with transaction.atomic():
        counts = _import_files(export, on_import, on_start)
        if second_source:
            counts["customers_customer (card system)"] = _import_card_system(
                export_dir, seed=config.seed, on_import=on_import, on_start=on_start
            )
        _let_staff_log_in(export)
        _write_direct(export, counts)
    _analyze()
    plan = plan_bank(config=config, bases={})
    return BuildResult(
        counts=counts, logins=demo_logins(plan=plan), seconds=time.perf_counter() - started
    )


CARD_MAPPING = """# The card system's customer export: its own column names, codes and date format.
kind = "customers"
encoding = "gb18030"
delimiter = "|"
date_format = "%d/%m/%Y"

[columns]
CARD_CUST_ID = "customer_no"
HOLDER_NAME = "name_zh"
SEX_CD = "gender"
BIRTH_DT = "birth_date"
CERT_NO = "id_number"
MOBILE_NO = "mobile"
OPEN_ORG = "branch"
OPEN_DT = "onboarded_on"

[values.gender]
1 = "male"
2 = "female"
"""


def write_card_system_customers(export_dir: Path, *, seed: int) -> tuple[Path, Path]:
    """A card system's customer file naming about one customer in 200 again, under its own
    numbers: some with the same resident ID, some with the same name and mobile, some with
    a one-character slip in the name."""
    rng = np.random.default_rng([seed, 2024])
    source = export_dir / "customers.csv"
    with source.open(encoding="utf-8", newline="") as f:
        people = [r for r in csv.DictReader(f) if r["kind"] == "individual" and r["mobile"]]
    picked = rng.choice(len(people), size=max(4, len(people) // 200), replace=False)
    rows = []
    for n, i in enumerate(sorted(picked.tolist())):
        p = people[i]
        name = p["name_zh"]
        how = n % 3
        cert = p["id_number"] if how == 0 else ""
        if how == 2 and len(name) >= 2:  # a typo in the given name, same mobile
            name = name[:-1] + ("晓" if name[-1] != "晓" else "小")
        birth = dt.date.fromisoformat(p["birth_date"]) if p["birth_date"] else None
        rows.append(
            [
                f"CARD{n + 1:07d}",
                name,
                "1" if p["gender"] == "male" else "2",
                birth.strftime("%d/%m/%Y") if birth else "",
                cert,
                p["mobile"],
                p["branch"],
                dt.date.fromisoformat(p["onboarded_on"]).strftime("%d/%m/%Y"),
            ]
        )
    path = export_dir / "card_customers.csv"
    with path.open("w", encoding="gb18030", newline="") as f:
        out = csv.writer(f, delimiter="|")
        out.writerow(
            [
                "CARD_CUST_ID",
                "HOLDER_NAME",
                "SEX_CD",
                "BIRTH_DT",
                "CERT_NO",
                "MOBILE_NO",
                "OPEN_ORG",
                "OPEN_DT",
            ]
        )
        out.writerows(rows)
    mapping = export_dir / "card_customers.toml"
    mapping.write_text(CARD_MAPPING, encoding="utf-8")
    return path, mapping


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC)
    return value
