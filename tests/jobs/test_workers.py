"""Real brokers, real worker processes: Redis and RabbitMQ on this machine, PostgreSQL.

A throwaway database with a small demo bank; `bankcrm worker` processes started and killed
here; the web tier is gunicorn serving the API. Checked: an import and an analytics run sent
through the API land; a worker killed with SIGKILL in the middle of an import leaves the work
to a second worker, which lands the file exactly once; a schedule fires exactly once while two
workers and one beat run.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.db import connection

from tests.ingest.test_kill9 import fingerprint

BANKCRM = Path(sys.executable).parent / "bankcrm"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
QUEUES = "imports,analytics,default"
ROWS = 150_000
VISIBILITY = 6  # seconds: Redis hands a dead worker's task on after this

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="workers are tested against PostgreSQL"
)


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 2):
        return True
    return False


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BANKCRM), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def _sql(url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return list(cursor.fetchall()) if cursor.description else []


@pytest.fixture(scope="module")
def bank_db(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    name = f"bankcrm_workers_{os.getpid()}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    root = tmp_path_factory.mktemp("workers")
    env = {
        **os.environ,
        "BANKCRM_DATABASE_URL": url,
        "BANKCRM_VAR_DIR": str(root / "var"),
        "BANKCRM_IMPORT_DIR": str(root / "imports"),  # the shared media path
        "BANKCRM_2FA_REQUIRED_ROLES": "",
        # The keys a production server refuses to start without, shared by every process.
        "BANKCRM_SECRET_KEY": "workers-test-secret-key-" + "x" * 40,
        "BANKCRM_PII_KEYS": "workers:" + "Q" * 43,
        "BANKCRM_PII_INDEX_KEY": "workers test index key",
        "BANKCRM_AUDIT_KEY": "workers test audit key",
        "BANKCRM_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
    }
    env.pop("BANKCRM_BROKER_URL", None)
    _run(env, "migrate", "-v0")
    _run(
        env,
        "demo",
        "--customers",
        "600",
        "--seed",
        "5",
        "--months",
        "24",
        "--as-of",
        "2025-12-31",
        "--direct",
        "--no-analytics",
    )
    yield url, env
    if os.environ.get("BANKCRM_KEEP_TEST_DB"):
        return
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["redis", "amqp"])
def broker(request, bank_db) -> Iterator[tuple[str, dict[str, str]]]:
    """The bank's settings with a broker of its own: a Redis database or a RabbitMQ vhost."""
    url, env = bank_db
    tag = f"bankcrm_test_{os.getpid()}"
    if request.param == "redis":
        if not _answers(6379):
            pytest.skip("no Redis on 127.0.0.1:6379")
        import redis

        broker_url = f"redis://127.0.0.1:6379/{1 + os.getpid() % 14}"
        redis.Redis.from_url(broker_url).flushdb()
        yield url, {**env, "BANKCRM_BROKER_URL": broker_url}
        redis.Redis.from_url(broker_url).flushdb()
        return
    if not _answers(5672):
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    vhost = "/"
    if subprocess.run(["rabbitmqctl", "add_vhost", tag], capture_output=True).returncode == 0:
        subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", tag, "guest", ".*", ".*", ".*"],
            capture_output=True,
            check=True,
        )
        vhost = tag
    yield url, {**env, "BANKCRM_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{vhost}"}
    if vhost != "/":
        subprocess.run(["rabbitmqctl", "delete_vhost", tag], capture_output=True)


class Process:
    """A `bankcrm` (or gunicorn) process in its own process group, its output in a file."""

    def __init__(self, env: dict[str, str], args: list[str], log: Path) -> None:
        self.log = log
        self.out = log.open("wb")
        self.proc = subprocess.Popen(
            args, env=env, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_for(self, text: str, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{self.log.name}: no {text!r}:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.out.close()

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.out.close()


def worker(env: dict[str, str], tmp: Path, name: str, concurrency: int = 2) -> Process:
    w = Process(
        env,
        [str(BANKCRM), "worker", "--queues", QUEUES, "-c", str(concurrency), "-n", f"{name}@test"],
        tmp / f"{name}.log",
    )
    w.wait_for("ready.")
    return w


@contextlib.contextmanager
def web(env: dict[str, str], tmp: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Process(
        env,
        [sys.executable, "-m", "gunicorn", "bankcrm.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        tmp / "web.log",
    )
    try:
        server.wait_for("Booting worker")
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the first request loads the site: a busy machine is slow
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                requests.get(base + "/login/", timeout=30)
                break
            time.sleep(0.2)
        yield base
    finally:
        server.stop()


def _api(env: dict[str, str]) -> requests.Session:
    token = _run(env, "api_token", "admin_demo", "--name", "workers-test").strip()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _until(check: Any, timeout: float, what: str) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _transactions_file(url: str, path: Path) -> Path:
    accounts = [
        r[0] for r in _sql(url, "SELECT account_no FROM banking_account ORDER BY id LIMIT 3")
    ]
    rng = random.Random(7)
    lines = ["txn_id,account_no,booked_at,amount,direction,txn_type,counterparty_category,channel"]
    for i in range(ROWS):
        when = f"2025-12-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00"
        kind = rng.choice(["purchase", "transfer", "bill"])
        lines.append(
            f"W{i:09d},{rng.choice(accounts)},{when},{rng.randint(1, 500_000) / 100:.2f},"
            f"{rng.choice(['credit', 'debit'])},{kind},merchant,{rng.choice(['pos', 'online'])}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _upload(api: requests.Session, base: str, path: Path, kind: str = "transactions") -> int:
    with path.open("rb") as f:
        response = api.post(
            base + "/api/v1/imports", data={"kind": kind}, files={"file": (path.name, f)}
        )
    assert response.status_code == 202, response.text[:500]
    return int(response.json()["id"])


def _import_status(url: str, run_id: int) -> str:
    return str(_sql(url, "SELECT status FROM ingest_importrun WHERE id = %s", run_id)[0][0])


def _job_of_import(url: str, run_id: int) -> tuple[str, int, str, str]:
    rows = _sql(
        url,
        "SELECT state, attempts, worker, queue FROM jobs_jobrun WHERE key = %s",
        f"import-run:{run_id}",
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_a_worker_runs_an_import_and_an_analytics_run_sent_through_the_api(broker, tmp_path):
    url, env = broker
    w = worker(env, tmp_path, "one")
    try:
        with web(env, tmp_path) as base:
            api = _api(env)
            code = f"W{time.time_ns() % 10**8}"  # new branches on each run
            branches = tmp_path / "branches.csv"
            branches.write_text(f"code,name_zh,parent\n{code},广州分行,\n{code}1,天河支行,{code}\n")
            run_id = _upload(api, base, branches, "branches")
            done = _until(
                lambda: (b := api.get(f"{base}/api/v1/imports/{run_id}").json())["finished"] and b,
                60,
                "the import",
            )
            assert done["status"] == "succeeded" and done["created"] == 2
            assert (
                _sql(url, "SELECT count(*) FROM core_branch WHERE code LIKE %s", code + "%")[0][0]
                == 2
            )
            state, attempts, host, queue = _job_of_import(url, run_id)
            assert (state, attempts, queue) == ("succeeded", 1, "imports") and host == "one@test"

            started = api.post(f"{base}/api/v1/analytics/runs", json={"as_of": "2025-12-31"})
            assert started.status_code == 202, started.text[:300]
            job_id = started.json()["id"]
            job = _until(
                lambda: (j := api.get(f"{base}/api/v1/jobs/{job_id}").json())["finished"] and j,
                240,
                "the analytics run",
            )
            assert job["state"] == "succeeded", job["error"]
            assert job["queue"] == "analytics" and job["worker"] == "one@test"
            run = _sql(
                url,
                "SELECT status, customers FROM insights_analyticsrun WHERE id = %s",
                job["result"]["run"],
            )[0]
            customers = _sql(url, "SELECT count(*) FROM customers_customer")[0][0]
            assert run[0] == "succeeded" and 0 < run[1] <= customers
            jobs = api.get(f"{base}/api/v1/jobs?state=succeeded").json()
            assert {j["kind"] for j in jobs} >= {"import", "analytics"}
    finally:
        w.stop()


def test_a_worker_killed_mid_import_leaves_it_to_another_which_lands_it_once(broker, tmp_path):
    url, env = broker
    before = fingerprint(url)
    path = _transactions_file(url, tmp_path / "transactions.csv")
    with web(env, tmp_path) as base:
        api = _api(env)
        # A clean import: the "after" state and how long the import takes once running.
        w = worker(env, tmp_path, "clean")
        run_id = _upload(api, base, path)
        _until(lambda: _import_status(url, run_id) == "running", 60, "the clean import to start")
        began = time.monotonic()
        _until(lambda: _import_status(url, run_id) == "succeeded", 120, "the clean import")
        window = time.monotonic() - began
        w.stop()
        after = fingerprint(url)
        assert after["transactions"][0] == before["transactions"][0] + ROWS
        _sql(url, "DELETE FROM banking_transaction WHERE txn_id LIKE 'W%%'")
        assert fingerprint(url) == before

        mid_file = 0
        for i, share in enumerate((0.2, 0.5, 0.8)):
            first = worker(env, tmp_path, f"first{i}")
            run_id = _upload(api, base, path)
            _until(lambda: _import_status(url, run_id) == "running", 60, "the import to start")
            time.sleep(window * share)
            first.kill()  # SIGKILL to the worker and its pool processes
            time.sleep(1)  # the database ends the dead worker's session (and its transaction)
            mid_file += _import_status(url, run_id) == "running"
            second = worker(env, tmp_path, f"second{i}")
            try:
                # The second worker gets the task (RabbitMQ at once, Redis after the
                # visibility timeout) and finishes it, or finds it already landed.
                _until(
                    lambda: _job_of_import(url, run_id)[0] == "succeeded",
                    120 + VISIBILITY,
                    "the second worker to finish the job",
                )
            finally:
                second.stop()
            assert _import_status(url, run_id) == "succeeded"
            assert fingerprint(url) == after, f"kill {i} at {share:.0%}: not exactly once"
            state, attempts, host, _queue = _job_of_import(url, run_id)
            assert attempts >= 2 and host == f"second{i}@test"
            running = "SELECT count(*) FROM ingest_importrun WHERE status = 'running'"
            assert _sql(url, running)[0][0] == 0
            _sql(url, "DELETE FROM banking_transaction WHERE txn_id LIKE 'W%%'")
        assert mid_file >= 1, "no kill came in the middle of the file"


def test_a_schedule_fires_exactly_once_with_two_workers_and_one_beat(broker, tmp_path):
    url, env = broker
    tag = f"beat-{time.time_ns()}"
    every = 5
    env = {
        **env,
        "BANKCRM_SCHEDULE_EXTRA": json.dumps(
            [
                {
                    "name": "heartbeat",
                    "task": "bankcrm.jobs.tasks.heartbeat_task",
                    "every": every,
                    "kwargs": {"tag": tag},
                }
            ]
        ),
    }
    workers = [worker(env, tmp_path, "w1"), worker(env, tmp_path, "w2")]
    beat = Process(
        env,
        [str(BANKCRM), "beat", "--schedule-file", str(tmp_path / "beat-schedule")],
        tmp_path / "beat.log",
    )
    try:
        beat.wait_for("beat: Starting")
        started = time.monotonic()
        key = f"heartbeat:{tag}"
        _until(
            lambda: _sql(url, "SELECT count(*) FROM jobs_jobrun WHERE key = %s", key)[0][0],
            every * 3,
            "the schedule to fire",
        )
        fired_after = time.monotonic() - started
        # Watch until just before the next firing is due: nothing runs it a second time.
        time.sleep(max(0.0, every - fired_after % every - 1.0))
    finally:
        beat.stop()
    time.sleep(1.5)
    for w in workers:
        w.stop()
    rows = _sql(url, "SELECT state, worker, result FROM jobs_jobrun WHERE key = %s", key)
    assert len(rows) == 1, rows
    assert rows[0][0] == "succeeded" and rows[0][1] in {"w1@test", "w2@test"}
    assert rows[0][2]["tag"] == tag
