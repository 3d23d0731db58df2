"""Re-encrypting the stored ID numbers and mobiles: after a key rotation, and once when the
encryption was introduced (migration 0007). Batch by batch, each batch one transaction, so a
run can be stopped and started again; a row someone saves meanwhile is left as they saved it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from bankcrm.core.crypto import blind_index, decrypt, encrypt, is_encrypted, key_id, keyring

BATCH = 2_000


@dataclass(frozen=True)
class Sealed:
    """A table's encrypted columns, each with the column of its keyed hash ('' for none)."""

    table: str
    columns: tuple[tuple[str, str, str], ...]  # (column, purpose, hash column)


CUSTOMERS = Sealed(
    "customers_customer",
    (("id_number", "id_number", "id_number_hash"), ("mobile", "mobile", "mobile_hash")),
)
ALIASES = Sealed("customers_customeralias", (("id_number", "id_number", ""),))
TABLES = (CUSTOMERS, ALIASES)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def key_census() -> dict[str, Counter[str]]:
    """Per table, how many values each key holds ('plaintext' for unencrypted ones)."""
    out: dict[str, Counter[str]] = {}
    for sealed in TABLES:
        counts: Counter[str] = Counter()
        for column, _purpose, _hash in sealed.columns:
            sql = f"SELECT {_q(column)} FROM {_q(sealed.table)} WHERE {_q(column)} <> ''"  # noqa: S608
            with connection.cursor() as cur:
                cur.execute(sql)
                while chunk := cur.fetchmany(BATCH):
                    for (value,) in chunk:
                        counts[key_id(value) or "plaintext"] += 1
        out[sealed.table] = counts
    return out


def reseal(
    *,
    reindex: bool = False,
    decrypt_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Encrypt every stored value under the current key (and, with ``reindex``, recompute
    every keyed hash); ``decrypt_only`` undoes the encryption. Returns the rows rewritten."""
    ring = keyring()
    rewritten = 0
    for sealed in TABLES:
        names = [c for c, _p, _h in sealed.columns]
        table = _q(sealed.table)
        select = (
            f"SELECT id, {', '.join(map(_q, names))} FROM {table} "  # noqa: S608
            "WHERE id > %s ORDER BY id"
        )
        sets: list[str] = []
        for column, _purpose, hash_column in sealed.columns:
            sets.append(f"{_q(column)} = %s")
            if hash_column:
                sets.append(f"{_q(hash_column)} = %s")
        # Compare-and-set: a row changed since it was read keeps the newer value.
        same = " AND ".join(f"{_q(c)} = %s" for c in names)
        update = f"UPDATE {table} SET {', '.join(sets)} WHERE id = %s AND {same}"  # noqa: S608
        last = 0
        while True:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(select + f" LIMIT {BATCH}", [last])
                rows = cur.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                params: list[list[Any]] = []
                for pk, *stored in rows:
                    if not any(
                        _needs(v, ring.current, reindex=reindex, decrypt_only=decrypt_only)
                        for v in stored
                    ):
                        continue
                    values: list[Any] = []
                    for (_c, purpose, hash_column), value in zip(
                        sealed.columns, stored, strict=True
                    ):
                        plain = decrypt(value, purpose, ring=ring)
                        values.append(plain if decrypt_only else encrypt(plain, purpose, ring=ring))
                        if hash_column:
                            values.append("" if decrypt_only else blind_index(plain, purpose))
                    params.append([*values, pk, *stored])
                if params:
                    cur.executemany(update, params)
                    rewritten += len(params)
            if progress is not None:
                progress(len(rows))
    return rewritten


def _needs(value: str, current: str, *, reindex: bool, decrypt_only: bool) -> bool:
    if not value:
        return False
    if decrypt_only:
        return is_encrypted(value)
    return reindex or key_id(value) != current


def row_count() -> int:
    total = 0
    with connection.cursor() as cur:
        for sealed in TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {_q(sealed.table)}")  # noqa: S608
            total += int(cur.fetchone()[0])
    return total
