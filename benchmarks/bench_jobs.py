"""Jobs through real brokers: tasks per second, enqueue-to-start latency, import recovery.

For Redis and RabbitMQ in turn, on a throwaway PostgreSQL database: one `bankcrm worker` with
2 processes; 10,000 small tasks (the heartbeat job: a job-run row written at enqueue, start
and end) enqueued at once, and the time until the last has succeeded; 200 tasks sent one at a
time into an idle queue, and the p50/p95 time from enqueue (the job-run row's queued_at) to
start (its started_at); then an import of 150,000 transactions whose worker is killed with
SIGKILL mid-file, and the time from the kill until a second worker has landed it.

Run: python benchmarks/bench_jobs.py (also from `make bench`). BENCH_JOB_TASKS (10,000).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg

BANKCRM = Path(sys.executable).parent / "bankcrm"
ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
TASKS = int(os.environ.get("BENCH_JOB_TASKS", "10000"))
VISIBILITY = 10
RECOVERY_ROWS = 150_000

CHILD = r"""
import json, sys, time
import django
django.setup()
from django.db import transaction
from bankcrm.jobs.engine import enqueue
from bankcrm.jobs.tasks import heartbeat_task
mode, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
if mode == "burst":
    with transaction.atomic():
        for i in range(n):
            enqueue(heartbeat_task, tag=f"b{i}")
else:
    from bankcrm.jobs.models import JobRun
    for i in range(n):
        job = enqueue(heartbeat_task, tag=f"s{i}")
        while not JobRun.objects.filter(pk=job.pk, started_at__isnull=False).exists():
            time.sleep(0.002)
print(json.dumps({"enqueue_seconds": time.perf_counter() - t0}))
"""


def sql(url: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return list(cur.fetchall()) if cur.description else []


def worker(
    env: dict[str, str], log: Path, name: str, *, wait: bool = True
) -> subprocess.Popen[bytes]:
    """A worker of 2 processes; with ``wait``, once it says it is ready (INFO logs that)."""
    out = log.open("wb")
    proc = subprocess.Popen(
        [str(BANKCRM), "worker", "-c", "2", "-n", f"{name}@bench", "--loglevel", "INFO"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    end = time.monotonic() + 60
    while wait and time.monotonic() < end and "ready." not in log.read_text(errors="replace"):
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_done(url: str, like: str, n: int, timeout: float = 900) -> float:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = sql(
            url, "SELECT count(*) FROM jobs_jobrun WHERE key LIKE %s AND state = 'succeeded'", like
        )
        if done[0][0] >= n:
            return time.monotonic()
        time.sleep(0.1)
    raise SystemExit(f"timed out: {like}")


def child(env: dict[str, str], mode: str, n: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def recovery(url: str, env: dict[str, str], tmp: Path) -> float:
    accounts = [r[0] for r in sql(url, "SELECT account_no FROM banking_account LIMIT 3")]
    path = tmp / "transactions.csv"
    lines = ["txn_id,account_no,booked_at,amount,direction,txn_type,counterparty_category,channel"]
    for i in range(RECOVERY_ROWS):
        lines.append(
            f"J{i:09d},{accounts[i % 3]},2025-12-{1 + i % 28:02d} 10:00:00,{1 + i % 900}.00,"
            "debit,purchase,merchant,pos"
        )
    path.write_text("\n".join(lines) + "\n")
    sql(url, "DELETE FROM banking_transaction WHERE txn_id LIKE 'J%%'")
    first = worker(env, tmp / "first.log", "first")
    script = (
        "import django,sys; django.setup()\n"
        "from pathlib import Path\n"
        "from bankcrm.ingest.services import import_run_create, import_start, uploaded_file_save\n"
        "from bankcrm.ingest.specs import KINDS\n"
        "k = KINDS['transactions']\n"
        "run = import_run_create(kind=k, file_name='t.csv', channel='api')\n"
        "p = uploaded_file_save(run, [Path(sys.argv[1]).read_bytes()])\n"
        "import_start(run, p, kind=k)\nprint(run.pk)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = int(out.stdout.strip().splitlines()[-1])

    def status() -> str:
        return str(sql(url, "SELECT status FROM ingest_importrun WHERE id = %s", run_id)[0][0])

    def job() -> tuple[str, int]:
        row = sql(
            url, "SELECT state, attempts FROM jobs_jobrun WHERE key = %s", f"import-run:{run_id}"
        )
        return (str(row[0][0]), int(row[0][1])) if row else ("", 0)

    deadline = time.monotonic() + 120
    while status() != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    stop(first, signal.SIGKILL)
    killed = time.monotonic()
    mid_file = status() == "running"
    second = worker(env, tmp / "second.log", "second", wait=False)  # its start-up counts
    deadline = time.monotonic() + 600
    while job()[0] != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.1)
    took = time.monotonic() - killed
    if not mid_file:
        print("  (the kill came after the import had landed: the figure is the redelivery alone)")
    stop(second)
    landed = sql(url, "SELECT count(*) FROM banking_transaction WHERE txn_id LIKE 'J%%'")[0][0]
    assert landed == RECOVERY_ROWS, landed
    return took


def bench(broker: str, url: str, base_env: dict[str, str], tmp: Path) -> None:
    env = {**base_env, "BANKCRM_BROKER_URL": broker}
    sql(url, "DELETE FROM jobs_jobrun")
    w = worker(env, tmp / "w.log", "bench")
    try:
        t0 = time.monotonic()
        sent = child(env, "burst", TASKS)
        finished = wait_done(url, "heartbeat:b%", TASKS)
        rate = TASKS / (finished - t0)
        child(env, "serial", 200)
        waits = [
            float(r[0])
            for r in sql(
                url,
                "SELECT EXTRACT(EPOCH FROM started_at - queued_at) FROM jobs_jobrun "
                "WHERE key LIKE 'heartbeat:s%%'",
            )
        ]
        q = statistics.quantiles(waits, n=20)
    finally:
        stop(w)
    kind = broker.split(":", 1)[0]
    print(
        f"  {kind:<6} {TASKS:,} tasks in {finished - t0:6.1f} s = {rate:6.0f} tasks/s "
        f"(enqueue {sent['enqueue_seconds']:.1f} s) | enqueue→start, idle queue: p50 "
        f"{statistics.median(waits) * 1000:5.1f} ms, p95 {q[18] * 1000:5.1f} ms",
        flush=True,
    )
    recovered = recovery(url, env, tmp)
    note = f" (visibility timeout {VISIBILITY} s)" if kind == "redis" else ""
    print(
        f"  {kind:<6} import of {RECOVERY_ROWS:,} rows landed {recovered:5.1f} s after its "
        f"worker was killed{note}",
        flush=True,
    )


def main() -> None:
    name = f"bankcrm_bench_jobs_{os.getpid()}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    sql(ADMIN, f'CREATE DATABASE "{name}"')
    try:
        with TemporaryDirectory() as folder:
            tmp = Path(folder)
            env = {
                **os.environ,
                "BANKCRM_DATABASE_URL": url,
                "BANKCRM_VAR_DIR": str(tmp / "var"),
                "BANKCRM_IMPORT_DIR": str(tmp / "imports"),
                "BANKCRM_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY),
                "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
            }
            env.pop("BANKCRM_BROKER_URL", None)
            subprocess.run([str(BANKCRM), "migrate", "-v0"], env=env, check=True)
            subprocess.run(
                [str(BANKCRM), "demo", "--customers", "200", "--direct", "--no-analytics"],
                env=env,
                check=True,
                capture_output=True,
            )
            print(f"Jobs: one worker of 2 processes, {TASKS:,} heartbeat tasks, PostgreSQL")
            brokers = ["redis://127.0.0.1:6379/13", "amqp://guest:guest@127.0.0.1:5672//"]
            import redis

            redis.Redis.from_url(brokers[0]).flushdb()
            for broker in brokers:
                bench(broker, url, env, tmp)
    finally:
        sql(ADMIN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
