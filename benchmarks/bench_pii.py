"""Encryption at rest of ID numbers and mobiles, at scale on PostgreSQL.

Prints the cost of one encrypt, decrypt and keyed hash; the import rate of a customer file with
ID numbers and mobiles (encrypted on the way in) against the same file without those two
columns; a search by mobile through its keyed hash; and the time of `bankcrm pii rotate`
re-encrypting every customer under a new key.

Environment: BENCH_PII_URL (default postgres://postgres@127.0.0.1:5432/bankcrm_bench_pii; the
database is dropped and created again), BENCH_PII_CUSTOMERS (default 200,000).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from bench_audit import fresh_database as recreate

BIN = Path(sys.executable).parent
URL = os.environ.get("BENCH_PII_URL", "postgres://postgres@127.0.0.1:5432/bankcrm_bench_pii")
CUSTOMERS = int(os.environ.get("BENCH_PII_CUSTOMERS", "200000"))
K1 = "k1:" + "A" * 43  # 32 zero-ish bytes: a fixed key, so runs compare
K2 = "k2:" + "B" * 43


def _env(keys: str) -> dict[str, str]:
    return {
        **os.environ,
        "BANKCRM_DATABASE_URL": URL,
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
        "BANKCRM_PII_KEYS": keys,
    }


def fresh_database() -> None:
    recreate(URL, _env(K1))
    with tempfile.TemporaryDirectory() as tmp:
        branches = Path(tmp) / "branches.csv"
        branches.write_text("code,name_zh\nBJ01,北京分行\n", encoding="utf-8")
        command = [BIN / "bankcrm", "import", "branches", str(branches)]
        subprocess.run(command, env=_env(K1), check=True, capture_output=True)


def resident_id(n: int) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    first = f"110101{19600101 + (n % 28) + 100 * (n // 28 % 12) + 10000 * (n // 336 % 40)}"
    first += f"{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first, weights, strict=True))
    return first + "10X98765432"[total % 11]


def write_file(path: Path, *, identifiers: bool) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        head = ["customer_no", "name_zh", "gender", "branch"]
        w.writerow(head + (["id_number", "mobile"] * identifiers))
        for i in range(CUSTOMERS):
            row = [f"P{i:09d}", "王芳", "female", "BJ01"]
            if identifiers:
                row += [resident_id(i), f"139{i:08d}"]
            w.writerow(row)


def import_rate(path: Path) -> float:
    started = time.perf_counter()
    command = [BIN / "bankcrm", "import", "customers", str(path), "--json"]
    subprocess.run(command, env=_env(K1), check=True, capture_output=True)
    return CUSTOMERS / (time.perf_counter() - started)


def micro() -> None:
    from bankcrm.core.crypto import _keyring, blind_index, decrypt, encrypt

    ring = _keyring(K1, "bench index key", "")  # explicit keys: no settings needed
    n = 100_000
    number = "110101199003071234"
    sealed = encrypt(number, "id_number", ring=ring)
    for label, fn in (
        ("encrypt", lambda: encrypt(number, "id_number", ring=ring)),
        ("decrypt", lambda: decrypt(sealed, "id_number", ring=ring)),
        ("keyed hash", lambda: blind_index(number, "id_number", ring=ring)),
    ):
        seconds = timeit.timeit(fn, number=n)
        print(f"  {label:<11} {seconds / n * 1e6:6.1f} µs per value")


def search_latency() -> str:
    code = (
        "import time, django; django.setup()\n"
        "from bankcrm.core.crypto import blind_index\n"
        "from bankcrm.customers.models import Customer\n"
        f"n = {CUSTOMERS}\n"
        "times = []\n"
        "for i in range(0, n, max(1, n // 200)):\n"
        "    t = time.perf_counter()\n"
        "    c = Customer.objects.get(mobile_hash=blind_index(f'139{i:08d}', 'mobile'))\n"
        "    assert c.mobile == f'139{i:08d}'\n"
        "    times.append(time.perf_counter() - t)\n"
        "times.sort()\n"
        "print(f'{times[len(times) // 2] * 1000:.2f} ms p50, '\n"
        "      f'{times[int(len(times) * 0.95)] * 1000:.2f} ms p95 (n={len(times)})')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(K1), check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def main() -> None:
    print(f"PII encryption at rest: {CUSTOMERS:,} customers on PostgreSQL")
    micro()
    with tempfile.TemporaryDirectory() as tmp:
        plain, sealed = Path(tmp) / "without.csv", Path(tmp) / "with.csv"
        write_file(plain, identifiers=False)
        write_file(sealed, identifiers=True)
        fresh_database()
        without = import_rate(plain)
        fresh_database()
        with_ids = import_rate(sealed)
    print(f"  import without ID number and mobile: {without:9,.0f} rows/s")
    print(
        f"  import with both (encrypted + hashed): {with_ids:7,.0f} rows/s "
        f"({with_ids / without:.2f}×)"
    )
    print(f"  find a customer by mobile (keyed hash, ORM, decrypted): {search_latency()}")
    started = time.perf_counter()
    subprocess.run(
        [BIN / "bankcrm", "pii", "rotate", "--no-progress"],
        env=_env(f"{K2},{K1}"),
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    status = subprocess.run(
        [BIN / "bankcrm", "pii", "status"],
        env=_env(f"{K2},{K1}"),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(
        f"  pii rotate, {CUSTOMERS:,} customers ({2 * CUSTOMERS:,} values): {seconds:.1f} s "
        f"({CUSTOMERS / seconds:,.0f} customers/s)"
    )
    print("  after: " + " | ".join(status.strip().splitlines()))


if __name__ == "__main__":
    main()
