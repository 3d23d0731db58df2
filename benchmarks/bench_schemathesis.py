"""Schemathesis over the whole HTTP API, as every role, on PostgreSQL: 5xx and schema violations.

Runs `tests/api/test_schemathesis.py` (every operation of /api/v1 × the six roles, in-process
against the Django WSGI application and a pytest-django test database) with
SCHEMATHESIS_EXAMPLES examples per operation and role (default 100), reads the line it writes
per request, and prints: operations, roles, requests sent, responses by status class, 5xx
responses and schema violations (undocumented status, content type or body), each failing
operation × role by name.

Environment: BANKCRM_DATABASE_URL (PostgreSQL; pytest-django creates test_<name> beside it and
drops it afterwards), SCHEMATHESIS_EXAMPLES (default 100).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/api/test_schemathesis.py"


def main() -> None:
    url = os.environ.get("BANKCRM_DATABASE_URL", "")
    examples = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100"))
    print(
        f"== schemathesis: every API operation as every role, {examples} examples each "
        f"({url.split('@')[-1] or 'default database'})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "requests.jsonl"
        env = {
            **os.environ,
            "SCHEMATHESIS_EXAMPLES": str(examples),
            "SCHEMATHESIS_REPORT": str(report),
        }
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", TEST, "-k", "conforms", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    rows = [json.loads(line) for line in lines]
    if not rows:
        print(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit("the schemathesis run sent no request")

    operations = {r["operation"] for r in rows}
    roles = {r["role"] for r in rows}
    classes = Counter(f"{r['status'] // 100}xx" for r in rows)
    server_errors = [r for r in rows if r["status"] >= 500]
    violations = [r for r in rows if r["failures"] and r["status"] < 500]
    failing = sorted({(r["operation"], r["role"]) for r in server_errors + violations})
    print(
        f"  {len(operations)} operations × {len(roles)} roles = {len(operations) * len(roles)} "
        f"runs, {len(rows):,} requests in {elapsed:,.0f} s "
        f"({len(rows) / elapsed:,.0f} requests/s)"
    )
    print("  responses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(classes.items())))
    print(f"  5xx responses: {len(server_errors):,}   schema violations: {len(violations):,}")
    for operation, role in failing:
        print(f"    failing: {operation} as {role}")
    summary = done.stdout.strip().splitlines()[-1:] if done.stdout.strip() else []
    print(f"  pytest: {summary[0] if summary else 'no summary'} (exit {done.returncode})")


if __name__ == "__main__":
    main()
